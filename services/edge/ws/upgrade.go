package ws

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Route keys with a meaning of their own.
const (
	RouteConnect    = "$connect"
	RouteDisconnect = "$disconnect"
	RouteDefault    = "$default"
)

// upgrader completes handshakes on hijacked connections. AWS does not check Origin.
// Write buffers come from a pool, held only while a frame is written, so an idle socket costs
// its read buffer and goroutines (scripts/bench-ws.sh measures the memory per connection).
var upgrader = websocket.Upgrader{
	ReadBufferSize:  2048,
	WriteBufferSize: 4096,
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     func(*http.Request) bool { return true },
}

// Upgrade completes a WebSocket handshake for t: it checks the per-edge cap, runs the $connect
// route (a refusal answers the handshake with the integration's status), then hijacks the
// connection, registers the socket and serves it until it closes.
func (h *Hub) Upgrade(ctx *fasthttp.RequestCtx, t Target) {
	if h.draining.Load() {
		httpError(ctx, fasthttp.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	if t.API == nil {
		httpError(ctx, fasthttp.StatusInternalServerError, "Internal server error")
		return
	}
	if h.reserved.Add(1) > int64(h.cfg.MaxConns) {
		h.reserved.Add(-1)
		httpError(ctx, fasthttp.StatusTooManyRequests, "Too Many Requests")
		return
	}
	handedOff := false
	defer func() {
		if !handedOff {
			h.reserved.Add(-1)
		}
	}()
	req, err := handshakeRequest(ctx)
	if err != nil {
		httpError(ctx, fasthttp.StatusBadRequest, "Bad Request")
		return
	}
	sel, err := ParseSelector(t.API.RouteSelectionExpression)
	if err != nil {
		h.log.Warn("bad route selection expression", "api_id", t.APIID, "err", err)
		httpError(ctx, fasthttp.StatusInternalServerError, "Internal server error")
		return
	}
	routes := make(map[string]*model.Route, len(t.API.Routes))
	for i := range t.API.Routes {
		routes[t.API.Routes[i].RouteKey] = &t.API.Routes[i]
	}
	c := h.newConn(newID(), t, sel, routes, string(ctx.UserAgent()))
	c.domain = string(ctx.Host())

	// The handshake's trace continues the client's, when it sent one.
	parent := telemetry.Propagator.Extract(context.Background(), propagation.MapCarrier{
		wire.HeaderTraceparent: string(ctx.Request.Header.Peek(wire.HeaderTraceparent)),
		wire.HeaderTracestate:  string(ctx.Request.Header.Peek(wire.HeaderTracestate)),
	})
	sctx, span := h.tracer.Start(parent, "ws.connect", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("portico.connection_id", c.id), attribute.String("portico.api_id", t.APIID)))
	defer span.End()

	if auth := h.deps.ConnectAuth; auth != nil {
		status, principal, actx := auth(ctx, t)
		if status >= 400 {
			span.SetAttributes(attribute.Int("http.response.status_code", status))
			span.SetStatus(codes.Error, "connect not authorized")
			if status > 599 {
				status = fasthttp.StatusInternalServerError
			}
			httpError(ctx, status, http.StatusText(status))
			return
		}
		c.principal = principal
		if len(actx) > 0 {
			if b, err := json.Marshal(actx); err == nil && len(b) <= maxAuthorizerContext {
				c.authorizer = string(b)
			}
		}
	}

	switch code := h.allow(sctx, t, RouteConnect); code {
	case "":
	case wire.CodeThrottled, wire.CodeQuotaExceeded:
		span.SetStatus(codes.Error, "throttled")
		httpError(ctx, fasthttp.StatusTooManyRequests, "Too Many Requests")
		return
	default:
		span.SetStatus(codes.Error, "limiter unavailable")
		httpError(ctx, fasthttp.StatusServiceUnavailable, "Service Unavailable")
		return
	}

	respHeader := http.Header{}
	if r := routes[RouteConnect]; r != nil {
		status, hdr := h.runConnect(sctx, ctx, c, r)
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 400 {
			span.SetStatus(codes.Error, "connect refused")
			httpError(ctx, status, http.StatusText(status))
			return
		}
		if p := hdr.Get("Sec-WebSocket-Protocol"); p != "" {
			respHeader.Set("Sec-WebSocket-Protocol", p)
		}
	}
	c.connected = true
	handedOff = true
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(nc net.Conn) { h.serve(c, nc, req, respHeader) })
}

// runConnect sends the CONNECT event and returns the status the handshake gets.
func (h *Hub) runConnect(sctx context.Context, ctx *fasthttp.RequestCtx, c *conn, r *model.Route) (int, nats.Header) {
	extra := nats.Header{}
	for k, v := range ctx.Request.Header.All() {
		name := string(k)
		if wire.IsReserved(name) {
			continue
		}
		extra.Add(name, string(v))
	}
	if q := ctx.QueryArgs().QueryString(); len(q) > 0 {
		extra.Set(wire.HeaderQuery, string(q))
	}
	res, err := h.callIntegration(sctx, c, r, wire.EventConnect, newID(), nil, extra)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return fasthttp.StatusServiceUnavailable, nil
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return fasthttp.StatusGatewayTimeout, nil
	case errors.Is(err, errBadReply):
		return fasthttp.StatusBadGateway, nil
	case err != nil:
		h.log.Warn("connect integration failed", "connection_id", c.id, "err", err)
		return fasthttp.StatusInternalServerError, nil
	case res == nil:
		return fasthttp.StatusOK, nil
	case res.failed && (res.status < 400 || res.status > 599):
		return fasthttp.StatusInternalServerError, res.header
	}
	return res.status, res.header
}

// serve runs on the hijacked connection until the socket ends.
func (h *Hub) serve(c *conn, nc net.Conn, req *http.Request, respHeader http.Header) {
	defer h.reserved.Add(-1)
	c.guard = newGuardedConn(nc, h.cfg.MaxFrameBytes)
	ws, err := upgrader.Upgrade(&hijackResponse{conn: c.guard}, req, respHeader)
	if err != nil {
		h.log.Debug("websocket handshake failed", "connection_id", c.id, "err", err)
		c.closeWith(closeCodeAbnorm, "handshake failed", false)
		h.sendDisconnect(c)
		return
	}
	c.ws = ws
	if !h.register(c) {
		_ = ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(closeCodeGoAway, "going away"), time.Now().Add(closeGrace))
		_ = ws.Close()
		c.closeWith(closeCodeGoAway, "going away", false)
		h.sendDisconnect(c)
		return
	}
	defer h.wg.Done()
	h.publishConnEvent(c, wire.ConnConnect)
	c.serving.Store(true)
	if len(c.out) > 0 || c.isClosing() {
		c.kick() // frames queued, or a close started, between registration and now
	}
	c.readLoop(context.Background())
	<-c.writerDone
	_ = ws.Close()
	h.unregister(c)
	h.publishConnEvent(c, wire.ConnDisconnect)
	h.sendDisconnect(c)
}

func (h *Hub) register(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.draining.Load() {
		return false
	}
	h.conns[c.id] = c
	h.wg.Add(1)
	return true
}

func (h *Hub) unregister(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns[c.id] == c {
		delete(h.conns, c.id)
	}
}

func (h *Hub) publishConnEvent(c *conn, kind string) {
	ev := wire.ConnEvent{
		Kind:         kind,
		ConnectionID: c.id,
		EdgeID:       h.deps.EdgeID,
		APIID:        c.t.APIID,
		Stage:        c.t.Stage,
		ConnectedAt:  c.connectedAt.UnixMilli(),
		LastActiveAt: c.lastActive.Load(),
		Identity:     wire.ConnIdentity{SourceIP: c.t.SourceIP, UserAgent: c.userAgent},
	}
	data, _ := wire.Marshal(ev)
	if err := h.deps.NATS.Publish(wire.SubjectConnRegister, data); err != nil {
		h.log.Warn("connection event not published", "kind", kind, "connection_id", c.id, "err", err)
	}
}

// sendDisconnect publishes the DISCONNECT event (fire and forget) when $connect was accepted.
func (h *Hub) sendDisconnect(c *conn) {
	r := c.routes[RouteDisconnect]
	if r == nil || !c.connected {
		return
	}
	ctx, span := h.tracer.Start(context.Background(), "ws.disconnect", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("portico.connection_id", c.id)))
	defer span.End()
	extra := nats.Header{}
	extra.Set(wire.HeaderDisconnectStatusCode, strconv.Itoa(c.closeCode))
	extra.Set(wire.HeaderDisconnectReason, c.closeReason)
	if r.Integration != nil && (r.Integration.Type == model.IntegrationHTTP || r.Integration.Type == model.IntegrationHTTPProxy) {
		// An HTTP call is synchronous: Shutdown waits for it (bounded by the integration timeout).
		if _, err := h.callIntegration(ctx, c, r, wire.EventDisconnect, newID(), nil, extra); err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		return
	}
	msg, err := h.integrationMsg(ctx, c, r, wire.EventDisconnect, newID(), nil, extra)
	if err != nil || msg == nil {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		return
	}
	if err := h.deps.NATS.PublishMsg(msg); err != nil {
		h.log.Warn("disconnect event not published", "connection_id", c.id, "err", err)
	}
}

// handshakeRequest checks the upgrade request and rebuilds it for the websocket library.
func handshakeRequest(ctx *fasthttp.RequestCtx) (*http.Request, error) {
	if !ctx.IsGet() || !websocket.FastHTTPIsWebSocketUpgrade(ctx) {
		return nil, errors.New("not a websocket upgrade")
	}
	hdr := http.Header{}
	for _, name := range []string{"Connection", "Upgrade", "Sec-WebSocket-Version", "Sec-WebSocket-Key", "Sec-WebSocket-Protocol"} {
		if v := ctx.Request.Header.Peek(name); len(v) > 0 {
			hdr.Set(name, string(v))
		}
	}
	if hdr.Get("Sec-WebSocket-Version") != "13" || hdr.Get("Sec-WebSocket-Key") == "" {
		return nil, errors.New("unsupported websocket version or missing key")
	}
	return &http.Request{
		Method: http.MethodGet,
		URL:    &url.URL{Path: string(ctx.Path())},
		Header: hdr,
		Host:   string(ctx.Host()),
	}, nil
}

func httpError(ctx *fasthttp.RequestCtx, status int, message string) {
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{message})
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// hijackResponse hands the hijacked connection to the websocket library's net/http upgrader, so
// that the library reads through the frame guard.
type hijackResponse struct {
	conn   net.Conn
	header http.Header
	wrote  bool
}

var (
	_ http.ResponseWriter = (*hijackResponse)(nil)
	_ http.Hijacker       = (*hijackResponse)(nil)
)

func (w *hijackResponse) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

// WriteHeader is used only when the library refuses the handshake.
func (w *hijackResponse) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote = true
	_ = w.conn.SetWriteDeadline(time.Now().Add(closeGrace))
	_, _ = fmt.Fprintf(w.conn, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n", status, http.StatusText(status))
}

func (w *hijackResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.conn.Write(p)
}

func (w *hijackResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(w.conn, 16), bufio.NewWriterSize(w.conn, 16)), nil
}
