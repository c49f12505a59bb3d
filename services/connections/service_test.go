package connections

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
	"github.com/prometheus/client_golang/prometheus"
)

const waitFor = 10 * time.Second

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", strings.TrimSpace(string(p)))
	return len(p), nil
}

// startService runs the service until the test ends and checks that Run returns nil.
func startService(t *testing.T, s *server.Server, cfg Config) {
	t.Helper()
	svc, err := New(cfg, Deps{
		Logger:  slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Metrics: prometheus.NewRegistry(),
		NATS:    natstest.Connect(t, s),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
	// Ready once the manage subject answers.
	nc := natstest.Connect(t, s)
	natstest.Eventually(t, waitFor, func() error {
		_, err := manageReq(nc, wire.ManageRequest{Op: wire.ManageGet, ConnectionID: "probe"})
		return err
	})
}

func manageReq(nc *nats.Conn, req wire.ManageRequest) (wire.ManageResponse, error) {
	data, _ := wire.Marshal(req)
	reply, err := nc.Request(wire.SubjectConnManage, data, 2*time.Second)
	if err != nil {
		return wire.ManageResponse{}, err
	}
	var resp wire.ManageResponse
	err = wire.Unmarshal(reply.Data, &resp)
	return resp, err
}

func manage(t *testing.T, nc *nats.Conn, req wire.ManageRequest) wire.ManageResponse {
	t.Helper()
	resp, err := manageReq(nc, req)
	if err != nil {
		t.Fatalf("manage %+v: %v", req, err)
	}
	return resp
}

// fakeEdge answers deliveries for one edge id like a hub holding the given sockets.
type fakeEdge struct {
	mu    sync.Mutex
	conns map[string]bool
	got   []wire.Delivery
}

func startFakeEdge(t *testing.T, nc *nats.Conn, edgeID string, ids ...string) *fakeEdge {
	t.Helper()
	e := &fakeEdge{conns: map[string]bool{}}
	for _, id := range ids {
		e.conns[id] = true
	}
	sub, err := nc.Subscribe(wire.EdgeDeliverSubject(edgeID), func(m *nats.Msg) {
		var d wire.Delivery
		_ = wire.Unmarshal(m.Data, &d)
		e.mu.Lock()
		resp := wire.ManageResponse{}
		if d.Op == wire.ManageBroadcast {
			e.got = append(e.got, d)
		} else if !e.conns[d.ConnectionID] {
			resp.Code = wire.CodeGone
		} else {
			e.got = append(e.got, d)
			if d.Op == wire.ManageDelete {
				delete(e.conns, d.ConnectionID)
			}
		}
		e.mu.Unlock()
		data, _ := wire.Marshal(resp)
		_ = m.Respond(data)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.Flush()
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return e
}

func (e *fakeEdge) deliveries() []wire.Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]wire.Delivery(nil), e.got...)
}

func publishEvent(t *testing.T, nc *nats.Conn, ev wire.ConnEvent) {
	t.Helper()
	data, _ := wire.Marshal(ev)
	if err := nc.Publish(wire.SubjectConnRegister, data); err != nil {
		t.Fatal(err)
	}
}

func connectEvent(id, edge string) wire.ConnEvent {
	return wire.ConnEvent{
		Kind: wire.ConnConnect, ConnectionID: id, EdgeID: edge, APIID: "api1", Stage: "prod",
		ConnectedAt:  time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC).UnixMilli(),
		LastActiveAt: time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC).UnixMilli(),
		Identity:     wire.ConnIdentity{SourceIP: "192.0.2.1", UserAgent: "test/1"},
	}
}

// waitRegistered polls GET until the connection is known.
func waitRegistered(t *testing.T, nc *nats.Conn, id string) wire.ManageResponse {
	t.Helper()
	var resp wire.ManageResponse
	natstest.Eventually(t, waitFor, func() error {
		resp = manage(t, nc, wire.ManageRequest{Op: wire.ManageGet, ConnectionID: id})
		if resp.Code != wire.CodeOK {
			return fmt.Errorf("GET %s = %+v", id, resp)
		}
		return nil
	})
	return resp
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.HeartbeatTimeout = time.Hour // sweeping has its own test
	cfg.ForwardTimeout = 2 * time.Second
	return cfg
}

func TestManage(t *testing.T) {
	s := natstest.Start(t)
	startService(t, s, testConfig())
	nc := natstest.Connect(t, s)
	edge := startFakeEdge(t, nc, "e1", "c1")
	publishEvent(t, nc, connectEvent("c1", "e1"))

	got := waitRegistered(t, nc, "c1")
	want := wire.ConnectionInfo{
		ConnectedAt:  "2024-01-02T03:04:05.006Z",
		LastActiveAt: "2024-01-02T03:04:05.006Z",
		Identity:     wire.ConnIdentity{SourceIP: "192.0.2.1", UserAgent: "test/1"},
	}
	if got.Connection == nil || *got.Connection != want {
		t.Fatalf("GET = %+v, want %+v", got.Connection, want)
	}

	active := connectEvent("c1", "e1")
	active.Kind = wire.ConnActive
	active.LastActiveAt += 60_000
	publishEvent(t, nc, active)
	natstest.Eventually(t, waitFor, func() error {
		r := manage(t, nc, wire.ManageRequest{Op: wire.ManageGet, ConnectionID: "c1"})
		if r.Connection == nil || r.Connection.LastActiveAt != "2024-01-02T03:05:05.006Z" {
			return fmt.Errorf("GET after active = %+v", r.Connection)
		}
		return nil
	})

	tests := []struct {
		name string
		req  wire.ManageRequest
		code string
	}{
		{"post", wire.ManageRequest{Op: wire.ManagePost, ConnectionID: "c1", APIID: "api1", Stage: "prod", Data: []byte("hi")}, wire.CodeOK},
		{"post too large", wire.ManageRequest{Op: wire.ManagePost, ConnectionID: "c1", Data: make([]byte, 128<<10+1)}, wire.CodePayloadLarge},
		{"post at the limit", wire.ManageRequest{Op: wire.ManagePost, ConnectionID: "c1", Data: make([]byte, 128<<10)}, wire.CodeOK},
		{"other api", wire.ManageRequest{Op: wire.ManageGet, ConnectionID: "c1", APIID: "api2"}, wire.CodeGone},
		{"other stage", wire.ManageRequest{Op: wire.ManagePost, ConnectionID: "c1", Stage: "dev"}, wire.CodeGone},
		{"unknown id", wire.ManageRequest{Op: wire.ManageGet, ConnectionID: "nope"}, wire.CodeGone},
		{"bad id", wire.ManageRequest{Op: wire.ManageGet, ConnectionID: "a b"}, wire.CodeBadRequest},
		{"bad op", wire.ManageRequest{Op: "patch", ConnectionID: "c1"}, wire.CodeBadRequest},
		{"delete", wire.ManageRequest{Op: wire.ManageDelete, ConnectionID: "c1"}, wire.CodeOK},
		{"post after the edge dropped it", wire.ManageRequest{Op: wire.ManagePost, ConnectionID: "c1"}, wire.CodeGone},
		{"get after gone", wire.ManageRequest{Op: wire.ManageGet, ConnectionID: "c1"}, wire.CodeGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := manage(t, nc, tt.req); got.Code != tt.code {
				t.Fatalf("manage = %+v, want code %q", got, tt.code)
			}
		})
	}
	d := edge.deliveries()
	if len(d) != 3 || d[0].Op != wire.ManagePost || !bytes.Equal(d[0].Data, []byte("hi")) || d[2].Op != wire.ManageDelete {
		t.Fatalf("edge deliveries = %d %+v, want post hi, post, delete", len(d), d)
	}

	resp, err := nc.Request(wire.SubjectConnManage, []byte("{"), 2*time.Second)
	if err != nil || !bytes.Contains(resp.Data, []byte(wire.CodeBadRequest)) {
		t.Errorf("malformed request: %v %s", err, resp.Data)
	}
}

func TestRegistryPersistsInKV(t *testing.T) {
	s := natstest.Start(t)
	nc := natstest.Connect(t, s)
	startFakeEdge(t, nc, "e1", "k1", "k2")
	// First instance records two connections and forgets one.
	first := t.Run("first instance", func(t *testing.T) {
		startService(t, s, testConfig())
		publishEvent(t, nc, connectEvent("k1", "e1"))
		publishEvent(t, nc, connectEvent("k2", "e1"))
		disc := connectEvent("k2", "e1")
		disc.Kind = wire.ConnDisconnect
		publishEvent(t, nc, disc)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		natstest.Eventually(t, waitFor, func() error {
			kv, err := js.KeyValue(context.Background(), wire.ConnBucket)
			if err != nil {
				return err
			}
			if _, err := kv.Get(context.Background(), "k1"); err != nil {
				return fmt.Errorf("k1: %w", err)
			}
			if _, err := kv.Get(context.Background(), "k2"); !errors.Is(err, jetstream.ErrKeyNotFound) {
				return fmt.Errorf("k2 = %v, want deleted", err)
			}
			return nil
		})
	})
	if !first {
		t.FailNow()
	}
	// A fresh instance loads the registry from the bucket.
	startService(t, s, testConfig())
	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManagePost, ConnectionID: "k1", Data: []byte("x")}); got.Code != wire.CodeOK {
		t.Fatalf("POST k1 after restart = %+v, want OK", got)
	}
	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManageGet, ConnectionID: "k2"}); got.Code != wire.CodeGone {
		t.Fatalf("GET k2 after restart = %+v, want Gone", got)
	}
}

func TestSilentEdgeConnectionsRemoved(t *testing.T) {
	s := natstest.Start(t)
	cfg := testConfig()
	cfg.HeartbeatTimeout = 300 * time.Millisecond
	cfg.SweepInterval = 20 * time.Millisecond
	startService(t, s, cfg)
	nc := natstest.Connect(t, s)
	startFakeEdge(t, nc, "alive", "a1")
	startFakeEdge(t, nc, "silent", "s1")
	heartbeat := func() {
		data, _ := wire.Marshal(wire.EdgeHeartbeat{EdgeID: "alive", Connections: 1})
		_ = nc.Publish(wire.SubjectEdgeHeartbeat, data)
	}
	heartbeat()
	publishEvent(t, nc, connectEvent("a1", "alive"))
	publishEvent(t, nc, connectEvent("s1", "silent"))
	waitRegistered(t, nc, "s1")
	natstest.Eventually(t, waitFor, func() error {
		heartbeat()
		if got := manage(t, nc, wire.ManageRequest{Op: wire.ManageGet, ConnectionID: "s1"}); got.Code != wire.CodeGone {
			return fmt.Errorf("GET s1 = %+v, want Gone", got)
		}
		return nil
	})
	heartbeat()
	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManagePost, ConnectionID: "a1"}); got.Code != wire.CodeOK {
		t.Fatalf("POST a1 (edge alive) = %+v, want OK", got)
	}
}

func TestEdgeWithoutResponders(t *testing.T) {
	s := natstest.Start(t)
	startService(t, s, testConfig())
	nc := natstest.Connect(t, s)
	publishEvent(t, nc, connectEvent("x1", "nowhere"))
	waitRegistered(t, nc, "x1")
	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManagePost, ConnectionID: "x1"}); got.Code != wire.CodeGone {
		t.Fatalf("POST to a connection whose edge has no subscriber = %+v, want Gone", got)
	}
	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManageGet, ConnectionID: "x1"}); got.Code != wire.CodeGone {
		t.Fatalf("GET after = %+v, want Gone (forgotten)", got)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	bad := Config{}
	err := bad.Validate()
	if err == nil {
		t.Fatal("zero Config validated")
	}
	for _, field := range []string{"forward_timeout", "max_payload_bytes", "max_connections", "heartbeat_timeout", "sweep_interval", "kv_replicas", "max_in_flight", "kv_queue"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("Validate() = %v, want a problem with %s", err, field)
		}
	}
	if _, err := New(DefaultConfig(), Deps{}); err == nil {
		t.Error("New without NATS succeeded")
	}
}

func TestBroadcastAndGroups(t *testing.T) {
	s := natstest.Start(t)
	nc := natstest.Connect(t, s)
	resync := make(chan struct{}, 4)
	sub, err := nc.Subscribe(wire.SubjectConnResync, func(*nats.Msg) { resync <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	_ = nc.Flush()
	startService(t, s, testConfig())
	select {
	case <-resync:
	case <-time.After(waitFor):
		t.Fatal("no resync request on start")
	}

	e1 := startFakeEdge(t, nc, "e1", "c1", "c2")
	e2 := startFakeEdge(t, nc, "e2", "c3")
	e3 := startFakeEdge(t, nc, "e3", "c4")
	publishEvent(t, nc, connectEvent("c1", "e1"))
	publishEvent(t, nc, connectEvent("c2", "e1"))
	publishEvent(t, nc, connectEvent("c3", "e2"))
	dev := connectEvent("c4", "e3")
	dev.Stage = "dev"
	publishEvent(t, nc, dev)
	for _, id := range []string{"c1", "c2", "c3", "c4"} {
		waitRegistered(t, nc, id)
	}

	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManageJoin, ConnectionID: "c3", Group: "room"}); got.Code != wire.CodeOK {
		t.Fatalf("join = %+v", got)
	}
	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManageJoin, ConnectionID: "c3"}); got.Code != wire.CodeBadRequest {
		t.Errorf("join without group = %+v, want BadRequest", got)
	}
	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManageLeave, ConnectionID: "zz", Group: "room"}); got.Code != wire.CodeGone {
		t.Errorf("leave of unknown id = %+v, want Gone", got)
	}
	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManageBroadcast, APIID: "api1", Stage: "prod", Group: "room", Data: []byte("hey")}); got.Code != wire.CodeOK {
		t.Fatalf("broadcast = %+v", got)
	}
	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManageBroadcast, APIID: "api1"}); got.Code != wire.CodeBadRequest {
		t.Errorf("broadcast without stage = %+v, want BadRequest", got)
	}
	if got := manage(t, nc, wire.ManageRequest{Op: wire.ManageBroadcast, APIID: "api1", Stage: "prod", Data: make([]byte, 128<<10+1)}); got.Code != wire.CodePayloadLarge {
		t.Errorf("broadcast too large = %+v, want PayloadTooLarge", got)
	}

	natstest.Eventually(t, waitFor, func() error {
		if len(e1.deliveries()) < 1 || len(e2.deliveries()) < 2 {
			return fmt.Errorf("e1 %+v, e2 %+v", e1.deliveries(), e2.deliveries())
		}
		return nil
	})
	// Exactly one broadcast per edge of the stage, none to the other stage's edge.
	if d := e1.deliveries(); len(d) != 1 || d[0].Op != wire.ManageBroadcast || d[0].Group != "room" || string(d[0].Data) != "hey" || d[0].APIID != "api1" || d[0].Stage != "prod" {
		t.Errorf("e1 deliveries = %+v, want one broadcast", d)
	}
	if d := e2.deliveries(); len(d) != 2 || d[0].Op != wire.ManageJoin || d[0].Group != "room" || d[1].Op != wire.ManageBroadcast {
		t.Errorf("e2 deliveries = %+v, want join then one broadcast", d)
	}
	if d := e3.deliveries(); len(d) != 0 {
		t.Errorf("e3 (other stage) deliveries = %+v, want none", d)
	}
}
