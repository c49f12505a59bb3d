package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/connections"
	"github.com/portico/portico/services/edge/ws"
	"github.com/valyala/fasthttp"
)

const (
	testAPI   = "wsapi1"
	testStage = "prod"
	waitFor   = 10 * time.Second
)

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", strings.TrimSpace(string(p)))
	return len(p), nil
}

func logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// edge is a hub behind a real fasthttp server on 127.0.0.1, routing as the edge does:
// "/{stage}/@connections/{id}" to Manage, anything else to Upgrade.
type edge struct {
	hub  *ws.Hub
	addr string
}

func natsRoute(key, subject string) model.Route {
	return model.Route{RouteKey: key, RouteResponses: []model.RouteResponse{{ID: "rr", RouteResponseKey: "$default"}}, Integration: &model.Integration{Type: model.IntegrationNATSProxy, URI: subject}}
}

func wsAPI(routes ...model.Route) *model.RestAPI {
	return &model.RestAPI{ID: testAPI, Name: "chat", Protocol: model.ProtocolWebSocket, Routes: routes}
}

func startEdge(t *testing.T, s *server.Server, edgeID string, api *model.RestAPI) *edge {
	t.Helper()
	cfg := ws.DefaultConfig()
	cfg.LameDuck = 50 * time.Millisecond
	cfg.IntegrationTimeout = 5 * time.Second
	auth := ws.SigV4Auth{Admin: []sigv4.Credentials{{AccessKeyID: adminCreds.AccessKeyID, SecretAccessKey: adminCreds.SecretAccessKey}}}
	hub, err := ws.New(cfg, ws.Deps{Logger: logger(t), NATS: natstest.Connect(t, s), EdgeID: edgeID, ManageAuth: auth.Func()})
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
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		path := strings.TrimPrefix(string(ctx.Path()), "/")
		if stage, id, ok := strings.Cut(path, "/@connections/"); ok {
			hub.Manage(ctx, testAPI, stage, id)
			return
		}
		hub.Upgrade(ctx, ws.Target{APIID: testAPI, Stage: path, API: api, SourceIP: ctx.RemoteIP().String()})
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = hub.Shutdown(sctx)
		_ = srv.ShutdownWithContext(sctx)
	})
	return &edge{hub: hub, addr: ln.Addr().String()}
}

func (e *edge) url() string { return "ws://" + e.addr + "/" + testStage }

// startConnections runs the connections service until the test ends and waits until it
// answers.
func startConnections(t *testing.T, s *server.Server) {
	t.Helper()
	cfg := connections.DefaultConfig()
	cfg.HeartbeatTimeout = time.Hour // these hubs do not heartbeat (the edge around them does)
	nc := natstest.Connect(t, s)
	svc, err := connections.New(cfg, connections.Deps{Logger: logger(t), NATS: nc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("connections Run = %v", err)
		}
	})
	natstest.Eventually(t, waitFor, func() error {
		data, _ := wire.Marshal(wire.ManageRequest{Op: wire.ManageGet, ConnectionID: "probe"})
		_, err := nc.Request(wire.SubjectConnManage, data, time.Second)
		return err
	})
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	return string(data)
}

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

// recorder is a NATS backend that records what it receives and answers with an empty reply.
type recorder struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func backend(t *testing.T, nc *nats.Conn, subject string) *recorder {
	t.Helper()
	r := &recorder{}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		r.mu.Lock()
		r.msgs = append(r.msgs, m)
		r.mu.Unlock()
		if m.Reply != "" {
			_ = m.Respond(nil)
		}
	})
	if err != nil {
		t.Fatalf("subscribe %s: %v", subject, err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return r
}

// nthConnectionID waits for the n-th (from 0) CONNECT event and returns its connection id.
func (r *recorder) nthConnectionID(t *testing.T, n int) string {
	t.Helper()
	var id string
	natstest.Eventually(t, waitFor, func() error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.msgs) <= n {
			return fmt.Errorf("%d messages, want %d", len(r.msgs), n+1)
		}
		id = r.msgs[n].Header.Get(wire.HeaderConnectionID)
		return nil
	})
	return id
}

// adminCreds sign @connections calls in these tests; the edges know them as admin credentials.
var adminCreds = aws.Credentials{AccessKeyID: "AKIDPORTICOADMIN", SecretAccessKey: "portico-admin-secret"}
