package ws

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// readFrame reads one data message with a deadline.
func readFrame(t *testing.T, c *websocket.Conn) (int, []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	typ, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	return typ, data
}

func TestBroadcast(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	connect := backend(t, be, "chat.connect", func(*nats.Msg) *nats.Msg { return &nats.Msg{} })
	e := startEdge(t, s, "edge-a", testConfig(), wsAPI("", natsRoute(RouteConnect, "chat.connect")))
	clients := []*websocket.Conn{dial(t, e), dial(t, e), dial(t, e)}
	waitCount(t, e.hub, len(clients))
	ids := make([]string, len(clients))
	for i, m := range connect.waitN(t, len(clients)) {
		ids[i] = m.Header.Get(wire.HeaderConnectionID)
	}

	// Payload lengths around the frame header's length encodings (7 bits, 16 bits, 64 bits).
	for _, tt := range []struct {
		name    string
		payload []byte
		typ     int
	}{
		{name: "empty", payload: []byte{}, typ: websocket.TextMessage},
		{name: "short text", payload: []byte("hello everyone"), typ: websocket.TextMessage},
		{name: "125 bytes", payload: bytes.Repeat([]byte("a"), 125), typ: websocket.TextMessage},
		{name: "126 bytes", payload: bytes.Repeat([]byte("b"), 126), typ: websocket.TextMessage},
		{name: "65535 bytes", payload: bytes.Repeat([]byte("c"), 0xffff), typ: websocket.TextMessage},
		{name: "65536 bytes", payload: bytes.Repeat([]byte("d"), 0x10000), typ: websocket.TextMessage},
		{name: "binary", payload: []byte{0xff, 0xfe, 0, 1}, typ: websocket.BinaryMessage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManageBroadcast, APIID: testAPI, Stage: testStage, Data: tt.payload})
			if resp.Code != wire.CodeOK {
				t.Fatalf("broadcast = %+v, want OK", resp)
			}
			for i, c := range clients {
				typ, data := readFrame(t, c)
				if typ != tt.typ || !bytes.Equal(data, tt.payload) {
					t.Errorf("socket %d read type %d, %d bytes; want type %d, %d bytes", i, typ, len(data), tt.typ, len(tt.payload))
				}
			}
		})
	}

	t.Run("group", func(t *testing.T) {
		if resp := deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManageJoin, ConnectionID: ids[1], Group: "room"}); resp.Code != wire.CodeOK {
			t.Fatalf("join = %+v, want OK", resp)
		}
		deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManageBroadcast, APIID: testAPI, Stage: testStage, Group: "room", Data: []byte("members")})
		deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManageBroadcast, APIID: testAPI, Stage: testStage, Data: []byte("all")})
		for i, c := range clients {
			want := []string{"all"}
			if i == 1 {
				want = []string{"members", "all"}
			}
			for _, w := range want {
				if _, data := readFrame(t, c); string(data) != w {
					t.Errorf("socket %d read %q, want %q", i, data, w)
				}
			}
		}
	})
	t.Run("other stage", func(t *testing.T) {
		deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManageBroadcast, APIID: testAPI, Stage: "elsewhere", Data: []byte("not here")})
		deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManageBroadcast, APIID: testAPI, Stage: testStage, Data: []byte("here")})
		for i, c := range clients {
			if _, data := readFrame(t, c); string(data) != "here" {
				t.Errorf("socket %d read %q, want here", i, data)
			}
		}
	})
}

// TestDeliveryOrder interleaves posts and broadcasts to sockets whose client reads slowly, so
// that some frames are written at once and some wait in the send queue: each socket reads
// them in the order they were delivered.
func TestDeliveryOrder(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	connect := backend(t, be, "chat.connect", func(*nats.Msg) *nats.Msg { return &nats.Msg{} })
	cfg := testConfig()
	cfg.SendQueue = 4096
	e := startEdge(t, s, "edge-a", cfg, wsAPI("", natsRoute(RouteConnect, "chat.connect")))
	clients := []*websocket.Conn{dial(t, e), dial(t, e)}
	waitCount(t, e.hub, len(clients))
	ids := make([]string, len(clients))
	for i, m := range connect.waitN(t, len(clients)) {
		ids[i] = m.Header.Get(wire.HeaderConnectionID)
	}

	const n = 300
	pad := strings.Repeat("x", 8<<10) // fills socket buffers: later frames queue
	for i := range n {
		d := wire.Delivery{Op: wire.ManageBroadcast, APIID: testAPI, Stage: testStage}
		if i%3 == 1 {
			d = wire.Delivery{Op: wire.ManagePost, ConnectionID: ids[i%2]}
		}
		d.Data = fmt.Appendf(nil, "%d %s", i, pad)
		if resp := deliver(t, be, "edge-a", d); resp.Code != wire.CodeOK {
			t.Fatalf("delivery %d = %+v, want OK", i, resp)
		}
	}
	for k, c := range clients {
		last := -1
		for i := range n {
			if i%3 == 1 && i%2 != k {
				continue // a post to the other socket
			}
			_, data := readFrame(t, c)
			var got int
			if _, err := fmt.Sscanf(string(data), "%d ", &got); err != nil || got != i {
				t.Fatalf("socket %d read message %d after %d, want %d", k, got, last, i)
			}
			last = got
		}
	}
}
