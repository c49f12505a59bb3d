package edge

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// methodValues holds the common methods as ready header values, so the hot path does not
// allocate them.
var methodValues = func() map[string][]string {
	m := map[string][]string{}
	for _, v := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"} {
		m[v] = []string{v}
	}
	return m
}()

// nativeMsg builds the native message of pkg/wire for subject: the client's headers (minus
// reserved ones), Portico's metadata headers and body as the payload.
func (s *Service) nativeMsg(r *request, subject string, body []byte) *nats.Msg {
	c := r.ctx
	h := make(nats.Header, c.Request.Header.Len()+12)
	for k, v := range c.Request.Header.All() {
		if len(k) >= len(wire.HeaderPrefix) && wire.IsReserved(string(k[:len(wire.HeaderPrefix)])) {
			continue
		}
		name := string(k)
		h[name] = append(h[name], string(v))
	}
	method := c.Method()
	if mv, ok := methodValues[string(method)]; ok {
		h[wire.HeaderMethod] = mv
	} else {
		h[wire.HeaderMethod] = []string{string(method)}
	}
	h[wire.HeaderPath] = []string{r.path}
	h[wire.HeaderResourcePath] = r.t.resourcePathValue
	h[wire.HeaderRouteKey] = r.t.routeKeyValue
	if len(r.params) > 0 {
		var b strings.Builder
		for i, p := range r.params {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(p.Name))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(p.Value))
		}
		h[wire.HeaderPathParams] = []string{b.String()}
	}
	if q := c.URI().QueryString(); len(q) > 0 {
		h[wire.HeaderQuery] = []string{string(q)}
	}
	h[wire.HeaderAPIID] = r.st.apiIDValue
	h[wire.HeaderStage] = r.st.stageValue
	h[wire.HeaderRequestID] = []string{r.id}
	h[wire.HeaderSourceIP] = []string{c.RemoteIP().String()}
	if r.decision.PrincipalID != "" {
		h[wire.HeaderPrincipalID] = []string{r.decision.PrincipalID}
	}
	if len(r.decision.Context) > 0 {
		b, _ := json.Marshal(r.decision.Context)
		h[wire.HeaderAuthorizer] = []string{string(b)}
	}
	return &nats.Msg{Subject: subject, Header: h, Data: body}
}

// natsRequest sends the native message for r to subject with body and waits for the reply
// within the route's integration timeout, in a client span.
func (s *Service) natsRequest(ctx context.Context, r *request, subject string, body []byte) (*nats.Msg, error) {
	msg := s.nativeMsg(r, subject, body)
	ictx, span := s.tracer.Start(ctx, r.t.natsSpanName, trace.WithSpanKind(trace.SpanKindClient))
	telemetry.Inject(ictx, msg)
	reply, err := s.deps.NATS.RequestMsg(msg, s.timeout(r.t.integration))
	span.End()
	return reply, err
}

// natsProxy sends the native message of pkg/wire and writes the reply back.
func (s *Service) natsProxy(ctx context.Context, r *request) {
	c := r.ctx
	subject := r.t.integration.URI
	reply, err := s.natsRequest(ctx, r, subject, c.Request.Body())
	switch {
	case err == nil:
	case errors.Is(err, nats.ErrNoResponders):
		s.gatewayError(r, gw.Default5XX, "Service Unavailable")
		c.Response.SetStatusCode(fasthttp.StatusServiceUnavailable)
		return
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		s.timedOut(r)
		return
	default:
		s.log.Error("nats integration failed", "request_id", r.id, "subject", subject, "err", err)
		s.gatewayError(r, gw.IntegrationFailure, "")
		c.Response.SetStatusCode(fasthttp.StatusBadGateway)
		return
	}
	writeNativeReply(c, reply)
}

// writeNativeReply maps a native reply (or a micro error reply) to the HTTP response.
func writeNativeReply(c *fasthttp.RequestCtx, reply *nats.Msg) {
	status := fasthttp.StatusOK
	if code := reply.Header.Get(wire.HeaderServiceErrorCode); code != "" {
		n, err := strconv.Atoi(code)
		if err != nil || n < 400 || n > 599 {
			n = fasthttp.StatusInternalServerError
		}
		msg := reply.Header.Get(wire.HeaderServiceError)
		if msg == "" {
			msg = fasthttp.StatusMessage(n)
		}
		writeGateway(c, gw.Response{Status: n, Body: gw.DefaultBody(msg)})
		return
	}
	if v := reply.Header.Get(wire.HeaderStatus); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 599 {
			writeGateway(c, gw.Render(gw.IntegrationFailure, "Internal server error", nil))
			c.Response.SetStatusCode(fasthttp.StatusBadGateway)
			return
		}
		status = n
	}
	for k, vs := range reply.Header {
		if wire.IsReserved(k) || strings.HasPrefix(k, "Nats-") || k == wire.HeaderTraceparent || k == wire.HeaderTracestate {
			continue
		}
		for i, v := range vs {
			if i == 0 {
				c.Response.Header.Set(k, v)
			} else {
				c.Response.Header.Add(k, v)
			}
		}
	}
	if len(c.Response.Header.ContentType()) == 0 {
		c.Response.Header.SetContentType("application/json")
	}
	c.Response.SetStatusCode(status)
	c.Response.SetBody(reply.Data)
}

