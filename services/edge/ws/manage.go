package ws

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

const (
	maxConnectionIDLen = 128
	manageTimeout      = 10 * time.Second
)

// Manage serves an @connections call (POST data to, GET, or DELETE a connection) by asking the
// connections service, and answers as AWS's management API does: 200 / 200 JSON / 204, or an
// error with x-amzn-ErrorType (410 GoneException, 400, 413 PayloadTooLargeException, …).
func (h *Hub) Manage(ctx *fasthttp.RequestCtx, apiID, stage, connectionID string) {
	if id, err := url.PathUnescape(connectionID); err == nil {
		connectionID = id
	}
	if connectionID == "" || len(connectionID) > maxConnectionIDLen {
		manageError(ctx, wire.CodeBadRequest, "Invalid connectionId")
		return
	}
	if !h.authorizeManage(ctx, apiID, stage, connectionID) {
		return
	}
	req := wire.ManageRequest{ConnectionID: connectionID, APIID: apiID, Stage: stage}
	switch {
	case ctx.IsPost():
		req.Op = wire.ManagePost
		body := ctx.PostBody()
		if len(body) > h.cfg.MaxMessageBytes {
			manageError(ctx, wire.CodePayloadLarge, "Message too long")
			return
		}
		req.Data = append([]byte(nil), body...)
	case ctx.IsGet():
		req.Op = wire.ManageGet
	case ctx.IsDelete():
		req.Op = wire.ManageDelete
	default:
		manageError(ctx, wire.CodeBadRequest, "Unsupported method")
		return
	}

	sctx, span := h.tracer.Start(context.Background(), "ws.manage "+req.Op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("portico.connection_id", connectionID)))
	defer span.End()
	data, _ := wire.Marshal(req)
	msg := nats.NewMsg(wire.SubjectConnManage)
	msg.Data = data
	telemetry.Inject(sctx, msg)
	rctx, cancel := context.WithTimeout(sctx, min(manageTimeout, h.cfg.IntegrationTimeout))
	defer cancel()
	reply, err := h.deps.NATS.RequestMsgWithContext(rctx, msg)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		switch {
		case errors.Is(err, nats.ErrNoResponders):
			manageError(ctx, wire.CodeUnavailable, "Service Unavailable")
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
			ctx.SetStatusCode(fasthttp.StatusGatewayTimeout)
			ctx.SetContentType("application/json")
			ctx.SetBodyString(`{"message":"Endpoint request timed out"}`)
		default:
			manageError(ctx, wire.CodeInternal, "Internal server error")
		}
		return
	}
	var resp wire.ManageResponse
	if err := wire.Unmarshal(reply.Data, &resp); err != nil {
		span.SetStatus(codes.Error, "malformed manage response")
		manageError(ctx, wire.CodeInternal, "Internal server error")
		return
	}
	if resp.Code != wire.CodeOK {
		span.SetStatus(codes.Error, resp.Code)
		manageError(ctx, resp.Code, resp.Message)
		return
	}
	switch req.Op {
	case wire.ManagePost:
		ctx.SetStatusCode(fasthttp.StatusOK)
	case wire.ManageDelete:
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	case wire.ManageGet:
		if resp.Connection == nil {
			manageError(ctx, wire.CodeInternal, "Internal server error")
			return
		}
		body, _ := json.Marshal(resp.Connection)
		ctx.SetStatusCode(fasthttp.StatusOK)
		ctx.SetContentType("application/json")
		ctx.SetBody(body)
	}
}

// errorTypes are the x-amzn-ErrorType values of the management API's errors.
var errorTypes = map[string]string{
	wire.CodeGone:         "GoneException",
	wire.CodeBadRequest:   "BadRequestException",
	wire.CodePayloadLarge: "PayloadTooLargeException",
	wire.CodeForbidden:    "ForbiddenException",
	wire.CodeThrottled:    "LimitExceededException",
	wire.CodeUnavailable:  "ServiceUnavailableException",
	wire.CodeInternal:     "InternalServerErrorException",
}

func manageError(ctx *fasthttp.RequestCtx, code, message string) {
	status := wire.StatusOf(code)
	if message == "" {
		message = fasthttp.StatusMessage(status)
	}
	typ, ok := errorTypes[code]
	if !ok {
		typ = "InternalServerErrorException"
	}
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{message})
	ctx.SetStatusCode(status)
	ctx.Response.Header.Set("x-amzn-ErrorType", typ)
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// authorizeManage runs Deps.ManageAuth and answers the refusal; without ManageAuth every call
// is refused (the management API is never open).
func (h *Hub) authorizeManage(ctx *fasthttp.RequestCtx, apiID, stage, connectionID string) bool {
	if h.deps.ManageAuth == nil {
		manageRefusal(ctx, wire.AuthzDecision{Code: wire.CodeForbidden, Message: sigv4.MsgMissingAuthenticationToken,
			GatewayResponse: sigv4.CodeMissingAuthenticationToken})
		return false
	}
	actx, span := h.tracer.Start(context.Background(), "ws.manage authorize", trace.WithSpanKind(trace.SpanKindInternal))
	defer span.End()
	d, err := h.deps.ManageAuth(actx, ManageAuthRequest{
		Sig: sigRequest(ctx), APIID: apiID, Stage: stage, Method: string(ctx.Method()),
		ConnectionID: connectionID, SourceIP: ctx.RemoteIP().String(),
	})
	var se *sigv4.Error
	switch {
	case errors.As(err, &se):
		span.SetStatus(codes.Error, se.Type)
		body, _ := json.Marshal(struct {
			Message string `json:"message"`
		}{se.Message})
		ctx.SetStatusCode(se.Status)
		ctx.Response.Header.Set("x-amzn-ErrorType", se.Type)
		ctx.SetContentType("application/json")
		ctx.SetBody(body)
		return false
	case err != nil:
		span.SetStatus(codes.Error, err.Error())
		h.log.Warn("connections call not authorized: authorizer failed", "err", err)
		manageError(ctx, wire.CodeUnavailable, "Service Unavailable")
		return false
	case !d.Allow:
		span.SetStatus(codes.Error, "refused")
		manageRefusal(ctx, d)
		return false
	}
	return true
}

// manageRefusal answers a refused @connections call as AWS does (403 with the error type).
func manageRefusal(ctx *fasthttp.RequestCtx, d wire.AuthzDecision) {
	status := wire.StatusOf(d.Code)
	if d.Code == "" || status < 400 {
		status = fasthttp.StatusForbidden
	}
	typ, ok := errorTypeOfGateway[d.GatewayResponse]
	if !ok {
		typ = "ForbiddenException"
	}
	msg := d.Message
	if msg == "" {
		msg = "Forbidden"
	}
	var body []byte
	if d.CapitalMessage {
		body, _ = json.Marshal(struct {
			Message string `json:"Message"`
		}{msg})
	} else {
		body, _ = json.Marshal(struct {
			Message string `json:"message"`
		}{msg})
	}
	ctx.SetStatusCode(status)
	ctx.Response.Header.Set("x-amzn-ErrorType", typ)
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}
