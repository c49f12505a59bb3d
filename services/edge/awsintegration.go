package edge

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// AWS integration subtypes Portico implements, as durable publishes to JetStream.
const (
	subtypeSQSSend   = "SQS-SendMessage"
	subtypeEventsPut = "EventBridge-PutEvents"
)

// maxEntries bounds the entries of one PutEvents call (AWS: 10).
const maxEntries = 10

// errBadAWSRequest is a request the AWS action refuses (400).
var errBadAWSRequest = errors.New("bad AWS integration request")

// published is one message stored in a stream.
type published struct {
	id  string
	seq uint64
}

// publish stores data on subject durably, creating the stream on first use.
func (s *Service) publish(ctx context.Context, stream, filter, subject, msgID string, data []byte, h nats.Header) (published, error) {
	js, err := jetstream.New(s.deps.NATS)
	if err != nil {
		return published{}, err
	}
	msg := nats.NewMsg(subject)
	for k, v := range h {
		msg.Header[k] = v
	}
	msg.Data = data
	telemetry.Inject(ctx, msg)
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(msgID)}
	ack, err := js.PublishMsg(ctx, msg, opts...)
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		_, cerr := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{filter},
			Storage: jetstream.FileStorage, Replicas: s.cfg.KVReplicas, Duplicates: 2 * time.Minute})
		if cerr != nil {
			return published{}, fmt.Errorf("creating stream %s: %w", stream, cerr)
		}
		ack, err = js.PublishMsg(ctx, msg, opts...)
	}
	if err != nil {
		return published{}, err
	}
	return published{id: msgID, seq: ack.Sequence}, nil
}

// awsIntegration runs an HTTP API AWS integration by its subtype.
func (s *Service) awsIntegration(ctx context.Context, r *request) {
	in := r.t.integration
	src := &mappingSource{r: r}
	param := func(name string) string { return src.eval(in.RequestParameters[name]) }
	tctx, cancel := context.WithTimeout(ctx, s.timeout(in))
	defer cancel()
	tctx, span := s.tracer.Start(tctx, "aws "+in.IntegrationSubtype, trace.WithSpanKind(trace.SpanKindProducer))
	defer span.End()
	var body []byte
	var err error
	switch in.IntegrationSubtype {
	case subtypeSQSSend:
		body, err = s.sendMessage(tctx, r, param("QueueUrl"), param("MessageBody"), param("MessageDeduplicationId"), param("MessageGroupId"))
	case subtypeEventsPut:
		e := eventEntry{Source: param("Source"), DetailType: param("DetailType"), Detail: param("Detail"), EventBusName: param("EventBusName")}
		if res := param("Resources"); res != "" {
			e.Resources = strings.Split(res, ",")
		}
		body, err = s.putEvents(tctx, r, []eventEntry{e})
	default:
		s.log.Warn("unsupported AWS integration subtype", "subtype", in.IntegrationSubtype, "route", r.t.routeKey)
		s.gatewayError(r, gw.APIConfigurationError, "")
		return
	}
	s.writeAWSResult(r, body, err)
}

func (s *Service) writeAWSResult(r *request, body []byte, err error) {
	c := r.ctx
	switch {
	case err == nil:
		c.Response.Header.SetContentType("application/json")
		c.Response.Header.Set("x-amzn-RequestId", r.id)
		c.Response.SetStatusCode(fasthttp.StatusOK)
		c.Response.SetBody(body)
	case errors.Is(err, errBadAWSRequest):
		s.gatewayError(r, gw.BadRequestBody, strings.TrimPrefix(err.Error(), errBadAWSRequest.Error()+": "))
	case errors.Is(err, context.DeadlineExceeded):
		s.timedOut(r)
	default:
		s.log.Error("aws integration failed", "request_id", r.id, "err", err)
		s.gatewayError(r, gw.Default5XX, "Internal Server Error")
		c.Response.SetStatusCode(fasthttp.StatusInternalServerError)
	}
}

// queueName takes the queue name from a queue URL (https://sqs.{region}.amazonaws.com/{account}/{name}),
// a path (path/{account}/{name}) or a bare name.
func queueName(u string) string {
	u = strings.TrimRight(u, "/")
	if i := strings.LastIndexByte(u, '/'); i >= 0 {
		u = u[i+1:]
	}
	return u
}

// validName reports whether a queue or bus name is usable as a subject token (AWS names are
// alphanumerics, - and _, at most 80 characters for queues and 256 for buses).
func validName(n string) bool {
	if n == "" || len(n) > 256 {
		return false
	}
	for i := 0; i < len(n); i++ {
		if !isNameByte(n[i]) {
			return false
		}
	}
	return true
}

func (s *Service) sendMessage(ctx context.Context, r *request, queueURL, body, dedupID, groupID string) ([]byte, error) {
	q := queueName(queueURL)
	if !validName(q) {
		return nil, fmt.Errorf("%w: invalid QueueUrl", errBadAWSRequest)
	}
	if body == "" {
		return nil, fmt.Errorf("%w: MessageBody is required", errBadAWSRequest)
	}
	id := r.id
	msgID := id
	if dedupID != "" {
		msgID = dedupID
	}
	h := nats.Header{}
	if groupID != "" {
		h.Set("Sqs-Message-Group-Id", groupID)
	}
	h.Set("Sqs-Message-Id", id)
	p, err := s.publish(ctx, wire.QueueStream, wire.QueueSubjects, wire.QueueSubject(q), msgID, []byte(body), h)
	if err != nil {
		return nil, err
	}
	sum := md5.Sum([]byte(body))
	type result struct {
		MD5OfMessageBody string `json:"MD5OfMessageBody"`
		MessageID        string `json:"MessageId"`
		SequenceNumber   string `json:"SequenceNumber"`
	}
	var out struct {
		SendMessageResponse struct {
			ResponseMetadata struct {
				RequestID string `json:"RequestId"`
			} `json:"ResponseMetadata"`
			SendMessageResult result `json:"SendMessageResult"`
		} `json:"SendMessageResponse"`
	}
	out.SendMessageResponse.ResponseMetadata.RequestID = r.id
	out.SendMessageResponse.SendMessageResult = result{MD5OfMessageBody: hex.EncodeToString(sum[:]), MessageID: id,
		SequenceNumber: strconv.FormatUint(p.seq, 10)}
	return json.Marshal(out)
}

// eventEntry is one PutEvents entry.
type eventEntry struct {
	Source       string   `json:"Source"`
	DetailType   string   `json:"DetailType"`
	Detail       string   `json:"Detail"`
	EventBusName string   `json:"EventBusName,omitempty"`
	Resources    []string `json:"Resources,omitempty"`
}

func (s *Service) putEvents(ctx context.Context, r *request, entries []eventEntry) ([]byte, error) {
	if len(entries) == 0 || len(entries) > maxEntries {
		return nil, fmt.Errorf("%w: between 1 and %d entries", errBadAWSRequest, maxEntries)
	}
	type result struct {
		EventID        string `json:"EventId"`
		SequenceNumber string `json:"SequenceNumber"`
	}
	out := struct {
		Entries          []result `json:"Entries"`
		FailedEntryCount int      `json:"FailedEntryCount"`
	}{}
	for i, e := range entries {
		bus := queueName(e.EventBusName) // a bus ARN ends with /name
		if bus == "" {
			bus = "default"
		}
		if e.Source == "" || e.DetailType == "" || !validName(bus) {
			return nil, fmt.Errorf("%w: Source, DetailType and a valid EventBusName are required", errBadAWSRequest)
		}
		detail := json.RawMessage(e.Detail)
		if e.Detail == "" {
			detail = json.RawMessage("{}")
		}
		if !json.Valid(detail) {
			return nil, fmt.Errorf("%w: Detail is not valid JSON", errBadAWSRequest)
		}
		id := r.id
		if i > 0 {
			id = newRequestID()
		}
		resources := e.Resources
		if resources == nil {
			resources = []string{}
		}
		ev, _ := json.Marshal(struct {
			Version    string          `json:"version"`
			ID         string          `json:"id"`
			DetailType string          `json:"detail-type"`
			Source     string          `json:"source"`
			Account    string          `json:"account"`
			Time       string          `json:"time"`
			Region     string          `json:"region"`
			Resources  []string        `json:"resources"`
			Detail     json.RawMessage `json:"detail"`
		}{"0", id, e.DetailType, e.Source, accountID, time.Now().UTC().Format(time.RFC3339), "us-east-1", resources, detail})
		p, err := s.publish(ctx, wire.EventStream, wire.EventSubjects, wire.EventSubject(bus), id, ev, nil)
		if err != nil {
			return nil, err
		}
		out.Entries = append(out.Entries, result{EventID: id, SequenceNumber: strconv.FormatUint(p.seq, 10)})
	}
	return json.Marshal(out)
}

// awsREST runs a REST API AWS integration after its request template: uri
// arn:aws:apigateway:{region}:sqs:path/{account}/{queue} with a body of
// Action=SendMessage&MessageBody=… (or the raw body), or arn:aws:apigateway:{region}:events:action/PutEvents
// with a PutEvents JSON body ({"Entries":[…]}).
func (s *Service) awsREST(ctx context.Context, r *request, mr *mappedRequest) (integrationResult, bool) {
	in := r.t.integration
	tctx, cancel := context.WithTimeout(ctx, s.timeout(in))
	defer cancel()
	var body []byte
	var err error
	switch {
	case strings.Contains(in.URI, ":lambda:"):
		return s.lambdaCustom(tctx, r, mr)
	case strings.Contains(in.URI, ":sqs:"):
		msg := string(mr.body)
		dedup, group := "", ""
		if form, perr := url.ParseQuery(msg); perr == nil && form.Get("Action") == "SendMessage" {
			msg, dedup, group = form.Get("MessageBody"), form.Get("MessageDeduplicationId"), form.Get("MessageGroupId")
		}
		_, path, _ := strings.Cut(in.URI, ":sqs:path/")
		body, err = s.sendMessage(tctx, r, path, msg, dedup, group)
	case strings.Contains(in.URI, ":events:"):
		var req struct {
			Entries []eventEntry `json:"Entries"`
		}
		if jerr := json.Unmarshal(mr.body, &req); jerr != nil {
			err = fmt.Errorf("%w: body is not a PutEvents request", errBadAWSRequest)
			break
		}
		body, err = s.putEvents(tctx, r, req.Entries)
	default:
		s.log.Warn("unsupported AWS integration uri", "uri", in.URI, "route", r.t.routeKey)
		s.gatewayError(r, gw.APIConfigurationError, "")
		return integrationResult{}, false
	}
	if err != nil {
		if errors.Is(err, errBadAWSRequest) {
			return integrationResult{status: 400, body: []byte(`{"message":` + quote(err.Error()) + `}`), selector: "400"}, true
		}
		s.writeAWSResult(r, nil, err)
		return integrationResult{}, false
	}
	return integrationResult{status: 200, body: body, selector: "200", header: map[string]string{}}, true
}

// lambdaCustom invokes a Lambda function as a REST API's non-proxy (custom) integration: the
// mapped body is the function's input, its output the integration response's input. A function
// error's errorMessage is what selection patterns match, as AWS; a success takes the default
// integration response.
func (s *Service) lambdaCustom(ctx context.Context, r *request, mr *mappedRequest) (integrationResult, bool) {
	fn := r.t.lambdaFunction
	if fn == "" {
		fn = lambdaFunction(expandURI(r.t.integration.URI, r.st.stage.Variables, r))
	}
	msg := nats.NewMsg(wire.LambdaSubject(fn))
	msg.Data = mr.body
	if len(msg.Data) == 0 {
		msg.Data = []byte("{}")
	}
	ictx, span := s.tracer.Start(ctx, "lambda "+fn, trace.WithSpanKind(trace.SpanKindClient))
	telemetry.Inject(ictx, msg)
	reply, err := s.deps.NATS.RequestMsgWithContext(ictx, msg)
	span.End()
	if err != nil {
		s.busFailed(r, err, "lambda "+fn, func() {
			s.gatewayError(r, gw.IntegrationFailure, "Internal server error")
			r.ctx.Response.SetStatusCode(fasthttp.StatusInternalServerError)
		})
		return integrationResult{}, false
	}
	res := integrationResult{status: 200, body: reply.Data, header: map[string]string{}}
	if reply.Header.Get(wire.HeaderServiceErrorCode) != "" {
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal(reply.Data, &fe) == nil {
			res.selector = fe.ErrorMessage
		} else {
			res.selector = reply.Header.Get(wire.HeaderServiceError)
		}
	}
	return res, true
}
