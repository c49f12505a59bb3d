package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

var (
	errNoIntegration          = errors.New("route has no integration")
	errUnsupportedIntegration = errors.New("integration type not supported on WebSocket routes")
)

// Error frame messages, as AWS words them.
const (
	msgForbidden = "Forbidden"
	msgInternal  = "Internal server error"
)

// integrationMsg builds the native message of an event for route r; nil for MOCK.
func (h *Hub) integrationMsg(ctx context.Context, c *conn, r *model.Route, event, requestID string, body []byte, extra nats.Header) (*nats.Msg, error) {
	in := r.Integration
	if in == nil {
		return nil, errNoIntegration
	}
	var subject string
	switch in.Type {
	case model.IntegrationMock:
		return nil, nil
	case model.IntegrationNATSProxy, model.IntegrationNATS:
		subject = expandStageVariables(in.URI, c.t.StageVariables)
	case model.IntegrationAWSProxy:
		subject = wire.AuthorizerSubject(expandStageVariables(in.URI, c.t.StageVariables))
		ev, err := h.lambdaEvent(c, r, event, requestID, body, extra)
		if err != nil {
			return nil, fmt.Errorf("building the Lambda event: %w", err)
		}
		body, extra = ev, nil
	default:
		return nil, fmt.Errorf("%w: %s", errUnsupportedIntegration, in.Type)
	}
	if subject == "" || strings.ContainsAny(subject, " \t\r\n") {
		return nil, fmt.Errorf("invalid integration subject %q", subject)
	}
	msg := nats.NewMsg(subject)
	msg.Data = body
	for k, v := range extra {
		msg.Header[k] = v
	}
	msg.Header.Set(wire.HeaderConnectionID, c.id)
	msg.Header.Set(wire.HeaderEventType, event)
	msg.Header.Set(wire.HeaderRouteKey, r.RouteKey)
	msg.Header.Set(wire.HeaderAPIID, c.t.APIID)
	msg.Header.Set(wire.HeaderStage, c.t.Stage)
	msg.Header.Set(wire.HeaderRequestID, requestID)
	msg.Header.Set(wire.HeaderSourceIP, c.t.SourceIP)
	msg.Header.Set(wire.HeaderVersion, wire.Version)
	if c.principal != "" {
		msg.Header.Set(wire.HeaderPrincipalID, c.principal)
	}
	if c.authorizer != "" {
		msg.Header.Set(wire.HeaderAuthorizer, c.authorizer)
	}
	telemetry.Inject(ctx, msg)
	return msg, nil
}

// result is an integration's answer, whatever its type.
type result struct {
	status int         // 200 unless the integration says otherwise
	header nats.Header // response headers (Sec-WebSocket-Protocol of a $connect)
	body   []byte      // sent back on the socket, when not empty
	failed bool        // the integration reported an error (micro error, function error)
}

// errBadReply reports an integration answer the hub cannot map (answered 502 / error frame).
var errBadReply = errors.New("malformed integration reply")

// callIntegration sends an event to route r's integration and waits for the answer; a nil
// result and nil error mean there is nothing to answer (MOCK).
func (h *Hub) callIntegration(ctx context.Context, c *conn, r *model.Route, event, requestID string, body []byte, extra nats.Header) (*result, error) {
	ctx, span := h.tracer.Start(ctx, "ws.integration "+r.RouteKey, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("portico.connection_id", c.id), attribute.String("portico.event", event)))
	defer span.End()
	if r.Integration == nil {
		return nil, errNoIntegration
	}
	timeout := h.cfg.IntegrationTimeout
	if ms := r.Integration.TimeoutInMillis; ms > 0 {
		timeout = min(max(time.Duration(ms)*time.Millisecond, 50*time.Millisecond), h.cfg.IntegrationTimeout)
	}
	switch r.Integration.Type {
	case model.IntegrationHTTP, model.IntegrationHTTPProxy:
		res, err := h.callHTTP(ctx, c, r, event, requestID, body, extra, timeout)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		return res, err
	case model.IntegrationMock, model.IntegrationNATS:
		tctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		res, err := h.callTemplated(tctx, c, r, event, requestID, body, extra)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		return res, err
	}
	msg, err := h.integrationMsg(ctx, c, r, event, requestID, body, extra)
	if err != nil || msg == nil {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	reply, err := h.deps.NATS.RequestMsgWithContext(ctx, msg)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return nil, err
	}
	res, err := interpret(r.Integration.Type, reply)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return nil, err
	}
	if res.failed {
		span.SetStatus(codes.Error, "integration error")
	}
	return res, nil
}

// interpret maps a NATS reply of an integration of type typ to its result.
func interpret(typ string, reply *nats.Msg) (*result, error) {
	if code := reply.Header.Get(wire.HeaderServiceErrorCode); code != "" {
		status, err := strconv.Atoi(code)
		if err != nil {
			status = 500
		}
		return &result{status: status, header: reply.Header, failed: true}, nil
	}
	if typ == model.IntegrationAWSProxy {
		lr, err := parseLambdaResponse(reply.Data)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errBadReply, err)
		}
		return &result{status: lr.status, header: lr.header, body: lr.body}, nil
	}
	res := &result{status: 200, header: reply.Header, body: reply.Data}
	if s := reply.Header.Get(wire.HeaderStatus); s != "" {
		code, err := strconv.Atoi(s)
		if err != nil || code < 100 || code > 599 {
			return nil, fmt.Errorf("%w: status %q", errBadReply, s)
		}
		res.status = code
	}
	return res, nil
}

// onMessage routes one client message and sends the integration's reply back.
func (h *Hub) onMessage(parent context.Context, c *conn, body []byte) {
	ctx, span := h.tracer.Start(parent, "ws.message", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("portico.connection_id", c.id)))
	defer span.End()
	requestID := newID()
	var route *model.Route
	if key, ok := c.sel.Select(body); ok {
		route = c.routes[key]
	}
	if route == nil || route.RouteKey == RouteConnect || route.RouteKey == RouteDisconnect {
		route = c.routes[RouteDefault]
	}
	if route == nil {
		c.send(errorFrame(msgForbidden, c.id, requestID))
		return
	}
	span.SetAttributes(attribute.String("portico.route_key", route.RouteKey))
	switch h.allow(ctx, c.t, route.RouteKey) {
	case "":
	case wire.CodeThrottled, wire.CodeQuotaExceeded:
		span.SetStatus(codes.Error, "throttled")
		c.send(errorFrame(msgThrottled, c.id, requestID))
		return
	default:
		span.SetStatus(codes.Error, "limiter unavailable")
		c.send(errorFrame(msgInternal, c.id, requestID))
		return
	}
	res, err := h.callIntegration(ctx, c, route, wire.EventMessage, requestID, body, nil)
	switch {
	case err != nil:
		h.log.Debug("message integration failed", "connection_id", c.id, "route_key", route.RouteKey, "err", err)
		c.send(errorFrame(msgInternal, c.id, requestID))
	case res == nil:
	case res.failed:
		c.send(errorFrame(msgInternal, c.id, requestID))
	case len(res.body) > h.cfg.MaxMessageBytes:
		c.send(errorFrame(msgInternal, c.id, requestID))
	case len(res.body) > 0 && route.TwoWay():
		// only a route with a route response sends the integration's answer back, as AWS
		c.send(frameOf(res.body))
	}
}

// errorFrame is the frame AWS sends when a message cannot be routed or its integration fails.
func errorFrame(message, connectionID, requestID string) *outFrame {
	data, _ := json.Marshal(struct {
		Message      string `json:"message"`
		ConnectionID string `json:"connectionId"`
		RequestID    string `json:"requestId"`
	}{message, connectionID, requestID})
	return &outFrame{typ: websocket.TextMessage, data: data}
}

// expandStageVariables replaces ${stageVariables.name} in an integration URI.
func expandStageVariables(uri string, vars map[string]string) string {
	const open = "${stageVariables."
	if !strings.Contains(uri, open) {
		return uri
	}
	var b strings.Builder
	for range 32 { // bounded number of references
		i := strings.Index(uri, open)
		if i < 0 {
			break
		}
		j := strings.IndexByte(uri[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(uri[:i])
		b.WriteString(vars[uri[i+len(open):i+j]])
		uri = uri[i+j+1:]
	}
	b.WriteString(uri)
	return b.String()
}
