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

