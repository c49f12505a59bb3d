package ws

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Deps are the hub's collaborators.
type Deps struct {
	Logger *slog.Logger
	Tracer trace.TracerProvider
	NATS   *nats.Conn
	EdgeID string
	// ManageAuth authorizes @connections calls (SigV4Auth.Func); nil refuses every call.
	ManageAuth ManageAuthFunc
	// ConnectAuth, when set, authorizes a handshake before $connect runs: a status ≥ 400
	// refuses it with that status (401 Unauthorized, 403 Forbidden, 500, …); principal and
	// context travel with every event of the connection.
	ConnectAuth ConnectAuthFunc
	// Throttle spends a token of a rate limit (the edge's Throttler.Allow); nil: no
	// throttling. code is wire.CodeThrottled or wire.CodeUnavailable when refused.
	Throttle func(ctx context.Context, key string, rate float64, burst int64) (allowed bool, code string)
}

// ConnectAuthFunc authorizes a WebSocket handshake (the $connect route's authorizer).
type ConnectAuthFunc func(ctx *fasthttp.RequestCtx, t Target) (status int, principal string, context map[string]string)

// Target is the WebSocket API stage a request upgrades into.
type Target struct {
	APIID, Stage string
	// API has Protocol "WEBSOCKET", Routes keyed "$connect", "$disconnect", "$default" and
	// custom keys, and RouteSelectionExpression.
	API            *model.RestAPI
	StageVariables map[string]string
	SourceIP       string
	// Settings are the stage's throttling settings: the route key's entry (a WebSocket
	// route's routeSettings), else model.StageDefaults (defaultRouteSettings).
	Settings map[string]model.MethodSetting
}

// Hub holds the edge's sockets: it upgrades them, routes their messages to integrations,
// registers them with the connections service and writes what @connections delivers.
type Hub struct {
	cfg       Config
	deps      Deps
	log       *slog.Logger
	tracer    trace.Tracer
	http      *fasthttp.Client // HTTP and HTTP_PROXY integrations
	templates templateCache    // compiled request/response templates

	reserved atomic.Int64 // sockets held plus handshakes in progress, for MaxConns
	draining atomic.Bool

	mu    sync.Mutex
	conns map[string]*conn
	subs  []*nats.Subscription
	wg    sync.WaitGroup // one per live socket
}

// New validates cfg and deps; it does no I/O.
func New(cfg Config, deps Deps) (*Hub, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if deps.NATS == nil {
		errs = append(errs, errors.New("ws: Deps.NATS is required"))
	}
	if deps.EdgeID == "" {
		errs = append(errs, errors.New("ws: Deps.EdgeID is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	tp := deps.Tracer
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return &Hub{
		cfg:    cfg,
		deps:   deps,
		log:    log.With("component", "ws", "edge_id", deps.EdgeID),
		tracer: tp.Tracer("github.com/portico/portico/services/edge/ws"),
		conns:  make(map[string]*conn),
		http:   newHTTPClient(),
	}, nil
}

// Start subscribes to the edge's delivery subject (and to registry resync requests) and
// returns. The subscriptions end when ctx is done or at Shutdown.
func (h *Hub) Start(ctx context.Context) error {
	var subs []*nats.Subscription
	unsubscribe := func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
	}
	for _, x := range []struct {
		subject string
		handler nats.MsgHandler
	}{
		{wire.EdgeDeliverSubject(h.deps.EdgeID), h.onDelivery},
		{wire.SubjectConnResync, h.onResync},
	} {
		sub, err := h.deps.NATS.Subscribe(x.subject, x.handler)
		if err != nil {
			unsubscribe()
			return fmt.Errorf("subscribing to %s: %w", x.subject, err)
		}
		subs = append(subs, sub)
	}
	if err := h.deps.NATS.Flush(); err != nil {
		unsubscribe()
		return fmt.Errorf("flushing subscriptions: %w", err)
	}
	h.mu.Lock()
	h.subs = subs
	h.mu.Unlock()
	context.AfterFunc(ctx, unsubscribe)
	return nil
}

// onResync re-registers every socket held here, for a connections service that (re)started.
func (h *Hub) onResync(msg *nats.Msg) {
	_, span := h.tracer.Start(telemetry.Extract(context.Background(), msg), "ws.resync",
		trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	for _, c := range h.snapshot() {
		if !c.isClosing() {
			h.publishConnEvent(c, wire.ConnConnect)
		}
	}
}

func (h *Hub) snapshot() []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	conns := make([]*conn, 0, len(h.conns))
	for _, c := range h.conns {
		conns = append(conns, c)
	}
	return conns
}

// Count is the number of sockets held.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

func (h *Hub) lookup(id string) *conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conns[id]
}

// onDelivery writes a frame to, or closes, a socket held here.
func (h *Hub) onDelivery(msg *nats.Msg) {
	ctx, span := h.tracer.Start(telemetry.Extract(context.Background(), msg), "ws.deliver",
		trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	var d wire.Delivery
	resp := wire.ManageResponse{}
	switch err := wire.Unmarshal(msg.Data, &d); {
	case err != nil:
		resp = wire.ManageResponse{Code: wire.CodeBadRequest, Message: "malformed delivery"}
	default:
		span.SetAttributes(attribute.String("portico.connection_id", d.ConnectionID), attribute.String("portico.op", d.Op))
		resp = h.deliver(ctx, d)
	}
	if resp.Code != wire.CodeOK {
		span.SetStatus(codes.Error, resp.Code)
	}
	if msg.Reply == "" {
		return
	}
	data, _ := wire.Marshal(resp)
	if err := msg.Respond(data); err != nil {
		h.log.Debug("delivery reply failed", "err", err)
	}
}

func (h *Hub) deliver(_ context.Context, d wire.Delivery) wire.ManageResponse {
	if d.Op == wire.ManageBroadcast {
		return h.broadcast(d)
	}
	c := h.lookup(d.ConnectionID)
	if c == nil || c.isClosing() {
		return wire.ManageResponse{Code: wire.CodeGone, Message: "connection is gone"}
	}
	switch d.Op {
	case wire.ManagePost:
		if len(d.Data) > h.cfg.MaxMessageBytes {
			return wire.ManageResponse{Code: wire.CodePayloadLarge, Message: "message too large"}
		}
		if !c.deliver(frameOf(d.Data)) {
			return wire.ManageResponse{Code: wire.CodeGone, Message: "connection is gone"}
		}
		return wire.ManageResponse{}
	case wire.ManageDelete:
		c.close(websocket.CloseNormalClosure, "")
		return wire.ManageResponse{}
	case wire.ManageJoin:
		if !validGroup(d.Group) {
			return wire.ManageResponse{Code: wire.CodeBadRequest, Message: "invalid group"}
		}
		if !c.join(d.Group) {
			return wire.ManageResponse{Code: wire.CodeBadRequest, Message: "too many groups"}
		}
		return wire.ManageResponse{}
	case wire.ManageLeave:
		c.leave(d.Group)
		return wire.ManageResponse{}
	default:
		return wire.ManageResponse{Code: wire.CodeBadRequest, Message: "unknown delivery op"}
	}
}

// Shutdown stops accepting sockets, closes the held ones gradually over the lame-duck window
// with 1001 (going away), waits until every $disconnect has been sent, then returns. When ctx
// ends first, the remaining sockets are closed at once.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.draining.Store(true)
	h.mu.Lock()
	subs := h.subs
	h.subs = nil
	conns := make([]*conn, 0, len(h.conns))
	for _, c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, sub := range subs {
		_ = sub.Unsubscribe()
	}

	window := h.cfg.LameDuck
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl) / 2; left < window {
			window = max(left, 0)
		}
	}
	var step time.Duration
	if len(conns) > 1 {
		step = window / time.Duration(len(conns))
	}
	forced := false
	for i, c := range conns {
		c.close(websocket.CloseGoingAway, "going away")
		if step > 0 && i < len(conns)-1 {
			t := time.NewTimer(step)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				forced = true
			}
		}
		if forced {
			for _, rest := range conns[i+1:] {
				rest.close(websocket.CloseGoingAway, "going away")
			}
			break
		}
	}

	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, c := range conns {
			c.abort()
		}
		<-done
	}
	if err := h.deps.NATS.Flush(); err != nil {
		return fmt.Errorf("flushing disconnect events: %w", err)
	}
	return nil
}

// newID returns an AWS-like opaque id: 11 random bytes, URL-safe base64 ("L0SM9cOFvHcCIhw=").
func newID() string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:])
}
