package ws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
	"github.com/valyala/fasthttp"
)

const (
	testAPI   = "wsapi1"
	testStage = "prod"
	waitFor   = 10 * time.Second
)

// testWriter sends slog output to t.Logf.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", strings.TrimSpace(string(p)))
	return len(p), nil
}

// edge is a hub behind a real fasthttp server on 127.0.0.1.
type edge struct {
	hub  *Hub
	addr string
	api  *model.RestAPI
	vars atomic.Pointer[map[string]string] // stage variables of the target
	// settings are the target's stage throttling settings.
	settings atomic.Pointer[map[string]model.MethodSetting]
}

func natsRoute(key, subject string) model.Route {
	return model.Route{RouteKey: key, RouteResponses: []model.RouteResponse{{ID: "rr", RouteResponseKey: "$default"}}, Integration: &model.Integration{Type: model.IntegrationNATSProxy, URI: subject}}
}

func wsAPI(expr string, routes ...model.Route) *model.RestAPI {
	return &model.RestAPI{ID: testAPI, Name: "chat", Protocol: model.ProtocolWebSocket, RouteSelectionExpression: expr, Routes: routes}
}

// startEdge runs a hub with its own NATS connection and a fasthttp server that calls Upgrade
// for "/{stage}" and Manage for "/{stage}/@connections/{id}".
// Unless an option says otherwise, every @connections call is allowed (allowAll).
func startEdge(t testing.TB, s *server.Server, edgeID string, cfg Config, api *model.RestAPI, opts ...func(*Deps)) *edge {
	t.Helper()
	nc := natstest.Connect(t, s)
	deps := Deps{
		Logger:     slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		NATS:       nc,
		EdgeID:     edgeID,
		ManageAuth: allowAll,
	}
	for _, o := range opts {
		o(&deps)
	}
	hub, err := New(cfg, deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := hub.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	e := &edge{hub: hub, api: api}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		path := string(ctx.Path())
		if stage, id, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/@connections/"); ok {
			hub.Manage(ctx, testAPI, stage, id)
			return
		}
		var vars map[string]string
		if v := e.vars.Load(); v != nil {
			vars = *v
		}
		var settings map[string]model.MethodSetting
		if v := e.settings.Load(); v != nil {
			settings = *v
		}
		hub.Upgrade(ctx, Target{APIID: testAPI, Stage: strings.TrimPrefix(path, "/"), API: api, StageVariables: vars,
			SourceIP: ctx.RemoteIP().String(), Settings: settings})
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = hub.Shutdown(sctx)
		_ = srv.ShutdownWithContext(sctx)
	})
	e.addr = ln.Addr().String()
	return e
}

func (e *edge) url() string { return "ws://" + e.addr + "/" + testStage }

func dial(t testing.TB, e *edge) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(e.url(), nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", e.url(), err, status)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// readText reads one data frame with a deadline.
func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	return string(data)
}

// readClose reads until the server's close frame and returns its code.
func readClose(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("ReadMessage = %v, want a close frame", err)
	}
}

// recorder is a NATS backend that records what it receives and answers with reply(msg).
type recorder struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func backend(t testing.TB, nc *nats.Conn, subject string, reply func(*nats.Msg) *nats.Msg) *recorder {
	t.Helper()
	r := &recorder{}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		r.mu.Lock()
		r.msgs = append(r.msgs, m)
		r.mu.Unlock()
		if reply == nil || m.Reply == "" {
			return
		}
		if out := reply(m); out != nil {
			_ = m.RespondMsg(out)
		}
	})
	if err != nil {
		t.Fatalf("subscribe %s: %v", subject, err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return r
}

func (r *recorder) all() []*nats.Msg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*nats.Msg(nil), r.msgs...)
}

// waitN waits until at least n messages arrived and returns them.
func (r *recorder) waitN(t *testing.T, n int) []*nats.Msg {
	t.Helper()
	var got []*nats.Msg
	natstest.Eventually(t, waitFor, func() error {
		got = r.all()
		if len(got) < n {
			return fmt.Errorf("%d messages, want %d", len(got), n)
		}
		return nil
	})
	return got
}

// echo answers with a prefix and the body.
func echo(prefix string) func(*nats.Msg) *nats.Msg {
	return func(m *nats.Msg) *nats.Msg {
		return &nats.Msg{Data: append([]byte(prefix), m.Data...)}
	}
}

// deliver sends a Delivery to an edge directly, as the connections service does.
func deliver(t *testing.T, nc *nats.Conn, edgeID string, d wire.Delivery) wire.ManageResponse {
	t.Helper()
	data, _ := wire.Marshal(d)
	reply, err := nc.Request(wire.EdgeDeliverSubject(edgeID), data, waitFor)
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	var resp wire.ManageResponse
	if err := wire.Unmarshal(reply.Data, &resp); err != nil {
		t.Fatalf("delivery reply %q: %v", reply.Data, err)
	}
	return resp
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.LameDuck = 50 * time.Millisecond
	cfg.IntegrationTimeout = 5 * time.Second
	return cfg
}

// waitCount waits until the hub holds n sockets: a client's handshake completes a moment
// before the hub registers its socket.
func waitCount(t testing.TB, h *Hub, n int) {
	t.Helper()
	natstest.Eventually(t, waitFor, func() error {
		if got := h.Count(); got != n {
			return fmt.Errorf("Count() = %d, want %d", got, n)
		}
		return nil
	})
}

// allowAll is a ManageAuth for tests about delivery, not authorization.
func allowAll(context.Context, ManageAuthRequest) (wire.AuthzDecision, error) {
	return wire.AuthzDecision{Allow: true}, nil
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
