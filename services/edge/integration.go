package edge

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

func (s *Service) timeout(in *model.Integration) time.Duration {
	if in.TimeoutInMillis > 0 {
		return time.Duration(in.TimeoutInMillis) * time.Millisecond
	}
	return model.DefaultTimeoutMillis * time.Millisecond
}

func (s *Service) integrate(ctx context.Context, r *request) {
	in := r.t.integration
	start := time.Now()
	switch in.Type {
	case model.IntegrationNATSProxy:
		s.natsProxy(ctx, r)
	case model.IntegrationHTTPProxy:
		s.httpProxy(ctx, r)
	case model.IntegrationMock:
		s.mock(r)
	default:
		s.log.Warn("unsupported integration type", "type", in.Type, "route", r.t.routeKey)
		s.gatewayError(r, gw.APIConfigurationError, "")
	}
	s.metrics.latency.WithLabelValues(r.st.apiID, r.st.name).Observe(time.Since(start).Seconds())
}

// timedOut answers an integration timeout: 504 for REST, 503 for HTTP APIs, as AWS.
func (s *Service) timedOut(r *request) {
	if r.st.protocol() == model.ProtocolHTTP {
		s.gatewayError(r, gw.Default5XX, "Service Unavailable")
		r.ctx.Response.SetStatusCode(fasthttp.StatusServiceUnavailable)
		return
	}
	s.gatewayError(r, gw.IntegrationTimeout, "")
}

// natsProxy sends the native message of pkg/wire and writes the reply back.
func (s *Service) natsProxy(ctx context.Context, r *request) {
	c := r.ctx
	msg := nats.NewMsg(r.t.integration.URI)
	h := msg.Header
	for k, v := range c.Request.Header.All() {
		name := string(k)
		if wire.IsReserved(name) {
			continue
		}
		h[name] = append(h[name], string(v))
	}
	h[wire.HeaderMethod] = []string{string(c.Method())}
	h[wire.HeaderPath] = []string{r.path}
	h[wire.HeaderResourcePath] = []string{r.t.resourcePath}
	h[wire.HeaderRouteKey] = []string{r.t.routeKey}
	if len(r.params) > 0 {
		v := url.Values{}
		for _, p := range r.params {
			v.Set(p.Name, p.Value)
		}
		h[wire.HeaderPathParams] = []string{v.Encode()}
	}
	if q := c.URI().QueryString(); len(q) > 0 {
		h[wire.HeaderQuery] = []string{string(q)}
	}
	h[wire.HeaderAPIID] = []string{r.st.apiID}
	h[wire.HeaderStage] = []string{r.st.name}
	h[wire.HeaderRequestID] = []string{r.id}
	h[wire.HeaderSourceIP] = []string{c.RemoteIP().String()}
	if r.decision.PrincipalID != "" {
		h[wire.HeaderPrincipalID] = []string{r.decision.PrincipalID}
	}
	if len(r.decision.Context) > 0 {
		b, _ := json.Marshal(r.decision.Context)
		h[wire.HeaderAuthorizer] = []string{string(b)}
	}
	msg.Data = c.Request.Body()

	ictx, span := s.tracer.Start(ctx, "nats "+msg.Subject, trace.WithSpanKind(trace.SpanKindClient))
	telemetry.Inject(ictx, msg)
	reply, err := s.deps.NATS.RequestMsg(msg, s.timeout(r.t.integration))
	span.End()
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
		s.log.Error("nats integration failed", "request_id", r.id, "subject", msg.Subject, "err", err)
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

// httpProxy forwards the request to an HTTP backend with pooled connections.
func (s *Service) httpProxy(ctx context.Context, r *request) {
	c := r.ctx
	uri := expandURI(r.t.integration.URI, r.st.stage.Variables, r)
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.Request.Header.CopyTo(&req.Header)
	for k := range c.Request.Header.All() {
		if wire.IsReserved(string(k)) {
			req.Header.DelBytes(k)
		}
	}
	if q := c.URI().QueryString(); len(q) > 0 && !strings.Contains(uri, "?") {
		uri += "?" + string(q)
	}
	req.SetRequestURI(uri)
	req.UseHostHeader = false
	req.Header.SetHost(string(req.URI().Host()))
	method := r.t.integration.HTTPMethod
	if method == "" || method == "ANY" {
		method = string(c.Method())
	}
	req.Header.SetMethod(method)
	req.SetBodyRaw(c.Request.Body())
	req.Header.Set("X-Forwarded-For", c.RemoteIP().String())

	_, span := s.tracer.Start(ctx, "http "+method, trace.WithSpanKind(trace.SpanKindClient))
	err := s.client.DoTimeout(req, resp, s.timeout(r.t.integration))
	span.End()
	if err != nil {
		if errors.Is(err, fasthttp.ErrTimeout) {
			s.timedOut(r)
			return
		}
		s.log.Warn("http integration failed", "request_id", r.id, "err", err)
		s.gatewayError(r, gw.IntegrationFailure, "Internal server error")
		c.Response.SetStatusCode(fasthttp.StatusInternalServerError)
		return
	}
	resp.Header.CopyTo(&c.Response.Header)
	c.Response.Header.Del("Connection")
	c.Response.Header.Set("x-amzn-RequestId", r.id)
	c.Response.SetBody(resp.Body())
}

// expandURI substitutes ${stageVariables.name} and {param} in an integration URI.
func expandURI(uri string, vars map[string]string, r *request) string {
	if !strings.ContainsAny(uri, "{$") {
		return uri
	}
	for k, v := range vars {
		uri = strings.ReplaceAll(uri, "${stageVariables."+k+"}", v)
	}
	for _, p := range r.params {
		uri = strings.ReplaceAll(uri, "{"+p.Name+"}", p.Value)
		uri = strings.ReplaceAll(uri, "{"+p.Name+"+}", p.Value)
	}
	return uri
}

// mock answers from the integration's templates: the request template's statusCode picks the
// integration response.
func (s *Service) mock(r *request) {
	in := r.t.integration
	status := 200
	if tmpl := in.RequestTemplates["application/json"]; tmpl != "" {
		var v struct {
			StatusCode int `json:"statusCode"`
		}
		if json.Unmarshal([]byte(tmpl), &v) == nil && v.StatusCode != 0 {
			status = v.StatusCode
		}
	}
	ir, ok := in.IntegrationResponses[strconv.Itoa(status)]
	if !ok {
		for _, cand := range in.IntegrationResponses {
			if cand.SelectionPattern == "" {
				ir, ok = cand, true
				break
			}
		}
	}
	c := r.ctx
	c.Response.Header.SetContentType("application/json")
	if !ok {
		c.Response.SetStatusCode(status)
		return
	}
	if n, err := strconv.Atoi(ir.StatusCode); err == nil {
		status = n
	}
	for k, v := range ir.ResponseParameters {
		if name, found := strings.CutPrefix(k, "method.response.header."); found {
			c.Response.Header.Set(name, strings.Trim(v, "'"))
		}
	}
	c.Response.SetStatusCode(status)
	c.Response.SetBodyString(ir.ResponseTemplates["application/json"])
}
