package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

func TestDefaultRouteRoundTrip(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	rec := backend(t, be, "chat.default", echo("echo:"))
	e := startEdge(t, s, "edge-a", testConfig(), wsAPI("", natsRoute(RouteDefault, "chat.default")))

	c := dial(t, e)
	if err := c.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, c); got != "echo:hello" {
		t.Fatalf("reply = %q, want %q", got, "echo:hello")
	}
	m := rec.waitN(t, 1)[0]
	for h, want := range map[string]string{
		wire.HeaderEventType: wire.EventMessage,
		wire.HeaderRouteKey:  RouteDefault,
		wire.HeaderAPIID:     testAPI,
		wire.HeaderStage:     testStage,
		wire.HeaderSourceIP:  "127.0.0.1",
	} {
		if got := m.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	if m.Header.Get(wire.HeaderConnectionID) == "" || m.Header.Get(wire.HeaderRequestID) == "" {
		t.Errorf("connection id %q / request id %q: want both set", m.Header.Get(wire.HeaderConnectionID), m.Header.Get(wire.HeaderRequestID))
	}
	waitCount(t, e.hub, 1)
	// A binary message goes through untouched and comes back binary.
	bin := []byte{0xff, 0x00, 0xfe}
	if err := c.WriteMessage(websocket.BinaryMessage, bin); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	typ, data, err := c.ReadMessage()
	if err != nil || typ != websocket.BinaryMessage || !bytes.Equal(data, append([]byte("echo:"), bin...)) {
		t.Fatalf("binary reply = %d %q %v, want binary echo", typ, data, err)
	}
}

func TestCustomRoutes(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	backend(t, be, "chat.send", echo("send:"))
	backend(t, be, "chat.xy", echo("xy:"))
	backend(t, be, "chat.default", echo("default:"))
	tests := []struct {
		name, expr, msg, want string
	}{
		{"action", "$request.body.action", `{"action":"sendmessage","text":"hi"}`, `send:{"action":"sendmessage","text":"hi"}`},
		{"unknown action", "$request.body.action", `{"action":"nope"}`, `default:{"action":"nope"}`},
		{"missing field", "$request.body.action", `{"text":"hi"}`, `default:{"text":"hi"}`},
		{"not json", "$request.body.action", `sendmessage`, `default:sendmessage`},
		{"template", "${request.body.a}/${request.body.b}", `{"a":"x","b":"y"}`, `xy:{"a":"x","b":"y"}`},
		{"template partial", "${request.body.a}/${request.body.b}", `{"a":"x"}`, `default:{"a":"x"}`},
		{"nested", "$request.body.m.kind", `{"m":{"kind":"sendmessage"}}`, `send:{"m":{"kind":"sendmessage"}}`},
		{"no route to $connect", "$request.body.action", `{"action":"$connect"}`, `default:{"action":"$connect"}`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := wsAPI(tt.expr,
				natsRoute("sendmessage", "chat.send"),
				natsRoute("x/y", "chat.xy"),
				natsRoute(RouteDefault, "chat.default"),
				natsRoute(RouteConnect, "chat.none"), // no responder: must never be used for messages
			)
			api.Routes[3].Integration.Type = "MOCK"
			e := startEdge(t, s, "edge-"+strconv.Itoa(i), testConfig(), api)
			c := dial(t, e)
			if err := c.WriteMessage(websocket.TextMessage, []byte(tt.msg)); err != nil {
				t.Fatal(err)
			}
			if got := readText(t, c); got != tt.want {
				t.Fatalf("reply = %q, want %q", got, tt.want)
			}
		})
	}
}

type errorBody struct {
	Message      string `json:"message"`
	ConnectionID string `json:"connectionId"`
	RequestID    string `json:"requestId"`
}

func TestErrorFrames(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	conn := backend(t, be, "chat.connect", func(*nats.Msg) *nats.Msg { return &nats.Msg{} })
	api := wsAPI("", natsRoute(RouteConnect, "chat.connect"), natsRoute("sendmessage", "chat.nobody"),
		natsRoute("lambda", "arn:aws:lambda:us-east-1:1:function:f"))
	api.Routes[2].Integration.Type = "AWS_PROXY"
	e := startEdge(t, s, "edge-a", testConfig(), api)
	c := dial(t, e)
	connID := conn.waitN(t, 1)[0].Header.Get(wire.HeaderConnectionID)

	tests := []struct{ name, msg, want string }{
		{"no route and no $default", `{"action":"other"}`, "Forbidden"},
		{"no responders", `{"action":"sendmessage"}`, "Internal server error"},
		{"unsupported integration", `{"action":"lambda"}`, "Internal server error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.WriteMessage(websocket.TextMessage, []byte(tt.msg)); err != nil {
				t.Fatal(err)
			}
			var got errorBody
			if err := json.Unmarshal([]byte(readText(t, c)), &got); err != nil {
				t.Fatal(err)
			}
			if got.Message != tt.want || got.ConnectionID != connID || got.RequestID == "" {
				t.Fatalf("error frame = %+v, want message %q, connectionId %q and a requestId", got, tt.want, connID)
			}
		})
	}
}

func TestConnectRefused(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	conn := backend(t, be, "chat.connect", func(m *nats.Msg) *nats.Msg {
		out := nats.NewMsg("")
		if m.Header.Get("X-Token") != "secret" {
			out.Header.Set(wire.HeaderStatus, "403")
		}
		return out
	})
	disc := backend(t, be, "chat.disconnect", nil)
	e := startEdge(t, s, "edge-a", testConfig(), wsAPI("",
		natsRoute(RouteConnect, "chat.connect"), natsRoute(RouteDisconnect, "chat.disconnect")))

	_, resp, err := websocket.DefaultDialer.Dial(e.url()+"?room=1", nil)
	if err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("Dial without token: err %v, resp %v; want a 403 handshake", err, resp)
	}
	first := conn.waitN(t, 1)[0]
	if first.Header.Get(wire.HeaderEventType) != wire.EventConnect || first.Header.Get(wire.HeaderQuery) != "room=1" {
		t.Errorf("connect event headers = %v", first.Header)
	}
	if e.hub.Count() != 0 {
		t.Errorf("Count() = %d after refusal, want 0", e.hub.Count())
	}

	c, _, err := websocket.DefaultDialer.Dial(e.url(), map[string][]string{"X-Token": {"secret"}})
	if err != nil {
		t.Fatalf("Dial with token: %v", err)
	}
	_ = c.Close()
	disc.waitN(t, 1) // the accepted one ends with a $disconnect
	if n := len(disc.all()); n != 1 {
		t.Errorf("%d $disconnect events, want 1 (none for the refused handshake)", n)
	}
}

func TestDisconnectOnClientClose(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	conn := backend(t, be, "chat.connect", func(*nats.Msg) *nats.Msg { return &nats.Msg{} })
	disc := backend(t, be, "chat.disconnect", nil)
	reg := backend(t, be, wire.SubjectConnRegister, nil)
	e := startEdge(t, s, "edge-a", testConfig(), wsAPI("",
		natsRoute(RouteConnect, "chat.connect"), natsRoute(RouteDisconnect, "chat.disconnect")))

	c := dial(t, e)
	id := conn.waitN(t, 1)[0].Header.Get(wire.HeaderConnectionID)
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	m := disc.waitN(t, 1)[0]
	if m.Header.Get(wire.HeaderConnectionID) != id || m.Header.Get(wire.HeaderEventType) != wire.EventDisconnect ||
		m.Header.Get(wire.HeaderDisconnectStatusCode) != "1000" || m.Header.Get(wire.HeaderDisconnectReason) != "bye" {
		t.Errorf("$disconnect headers = %v, want connection %s, 1000 bye", m.Header, id)
	}
	natstest.Eventually(t, waitFor, func() error {
		if n := e.hub.Count(); n != 0 {
			return fmt.Errorf("Count() = %d", n)
		}
		return nil
	})
	var kinds []string
	for _, m := range reg.waitN(t, 2) {
		var ev wire.ConnEvent
		if err := wire.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ConnectionID != id || ev.EdgeID != "edge-a" || ev.APIID != testAPI || ev.Stage != testStage {
			t.Errorf("conn event = %+v", ev)
		}
		kinds = append(kinds, ev.Kind)
	}
	if strings.Join(kinds, ",") != "connect,disconnect" {
		t.Errorf("conn events = %v, want connect,disconnect", kinds)
	}

	// A client that vanishes without a close frame also gets its $disconnect (1006).
	c2 := dial(t, e)
	_ = c2.NetConn().Close()
	m = disc.waitN(t, 2)[1]
	if got := m.Header.Get(wire.HeaderDisconnectStatusCode); got != "1006" {
		t.Errorf("vanished client's status = %q, want 1006", got)
	}
}

func TestShutdownClosesAndDeliversDisconnect(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	disc := backend(t, be, "chat.disconnect", nil)
	e := startEdge(t, s, "edge-a", testConfig(), wsAPI("", natsRoute(RouteDisconnect, "chat.disconnect")))
	const n = 3
	clients := make([]*websocket.Conn, n)
	for i := range clients {
		clients[i] = dial(t, e)
	}
	natstest.Eventually(t, waitFor, func() error {
		if got := e.hub.Count(); got != n {
			return fmt.Errorf("Count() = %d", got)
		}
		return nil
	})
	codes := make(chan int, n)
	for _, c := range clients {
		go func() {
			_ = c.SetReadDeadline(time.Now().Add(waitFor))
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					if ce, ok := err.(*websocket.CloseError); ok {
						codes <- ce.Code
					} else {
						codes <- -1
					}
					return
				}
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := e.hub.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := e.hub.Count(); got != 0 {
		t.Errorf("Count() after Shutdown = %d, want 0", got)
	}
	for range n {
		if code := <-codes; code != websocket.CloseGoingAway {
			t.Errorf("client close code = %d, want 1001", code)
		}
	}
	for _, m := range disc.waitN(t, n) {
		if got := m.Header.Get(wire.HeaderDisconnectStatusCode); got != "1001" {
			t.Errorf("$disconnect status = %q, want 1001", got)
		}
	}
	// No new sockets while draining.
	if _, resp, err := websocket.DefaultDialer.Dial(e.url(), nil); err == nil || resp == nil || resp.StatusCode != 503 {
		t.Errorf("Dial after Shutdown: err %v resp %v, want 503", err, resp)
	}
}

func TestFrameAndMessageLimits(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	rec := backend(t, be, "chat.default", func(m *nats.Msg) *nats.Msg {
		return &nats.Msg{Data: []byte(strconv.Itoa(len(m.Data)))}
	})
	disc := backend(t, be, "chat.disconnect", nil)
	e := startEdge(t, s, "edge-a", testConfig(), wsAPI("",
		natsRoute(RouteDefault, "chat.default"), natsRoute(RouteDisconnect, "chat.disconnect")))

	// A 100 KiB message in 4 KiB frames is within both limits.
	small := websocket.Dialer{WriteBufferSize: 4096}
	c, _, err := small.Dial(e.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("a"), 100<<10)); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, c); got != strconv.Itoa(100<<10) {
		t.Fatalf("reply = %q, want the length 102400", got)
	}

	tests := []struct {
		name        string
		writeBuffer int
		size        int
		reason      string
	}{
		{"frame over 32 KiB", 64 << 10, 33 << 10, closeReasonFrame},
		{"message over 128 KiB", 4096, 129 << 10, "message too big"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := websocket.Dialer{WriteBufferSize: tt.writeBuffer}
			c, _, err := d.Dial(e.url(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("b"), tt.size))
			if code := readClose(t, c); code != websocket.CloseMessageTooBig {
				t.Fatalf("close code = %d, want 1009", code)
			}
			m := disc.waitN(t, i+1)[i]
			if got := m.Header.Get(wire.HeaderDisconnectStatusCode); got != "1009" {
				t.Errorf("$disconnect status = %q, want 1009", got)
			}
		})
	}
	if n := len(rec.all()); n != 1 {
		t.Errorf("backend got %d messages, want only the one within limits", n)
	}
}

func TestDeliveries(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	conn := backend(t, be, "chat.connect", func(*nats.Msg) *nats.Msg { return &nats.Msg{} })
	disc := backend(t, be, "chat.disconnect", nil)
	e := startEdge(t, s, "edge-a", testConfig(), wsAPI("",
		natsRoute(RouteConnect, "chat.connect"), natsRoute(RouteDisconnect, "chat.disconnect")))
	c := dial(t, e)
	id := conn.waitN(t, 1)[0].Header.Get(wire.HeaderConnectionID)
	waitCount(t, e.hub, 1)

	if resp := deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManagePost, ConnectionID: id, Data: []byte("pushed")}); resp.Code != wire.CodeOK {
		t.Fatalf("post = %+v, want OK", resp)
	}
	if got := readText(t, c); got != "pushed" {
		t.Fatalf("frame = %q, want pushed", got)
	}
	if resp := deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManagePost, ConnectionID: "nope"}); resp.Code != wire.CodeGone {
		t.Errorf("post to unknown id = %+v, want Gone", resp)
	}
	if resp := deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManagePost, ConnectionID: id, Data: make([]byte, 129<<10)}); resp.Code != wire.CodePayloadLarge {
		t.Errorf("post of 129 KiB = %+v, want PayloadTooLarge", resp)
	}
	if resp := deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManageDelete, ConnectionID: id}); resp.Code != wire.CodeOK {
		t.Fatalf("delete = %+v, want OK", resp)
	}
	if code := readClose(t, c); code != websocket.CloseNormalClosure {
		t.Errorf("close code after delete = %d, want 1000", code)
	}
	disc.waitN(t, 1)
	natstest.Eventually(t, waitFor, func() error {
		if resp := deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManagePost, ConnectionID: id}); resp.Code != wire.CodeGone {
			return fmt.Errorf("post after delete = %+v, want Gone", resp)
		}
		return nil
	})
}

func TestSlowReaderDisconnected(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	conn := backend(t, be, "chat.connect", func(*nats.Msg) *nats.Msg { return &nats.Msg{} })
	disc := backend(t, be, "chat.disconnect", nil)
	cfg := testConfig()
	cfg.SendQueue = 4
	e := startEdge(t, s, "edge-a", cfg, wsAPI("",
		natsRoute(RouteConnect, "chat.connect"), natsRoute(RouteDisconnect, "chat.disconnect")))

	// A client with a tiny receive buffer that never reads.
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			_ = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	c, _, err := d.Dial(e.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := conn.waitN(t, 1)[0].Header.Get(wire.HeaderConnectionID)
	waitCount(t, e.hub, 1)

	payload := bytes.Repeat([]byte("z"), 64<<10)
	gone := false
	for i := 0; i < 2000 && !gone; i++ {
		resp := deliver(t, be, "edge-a", wire.Delivery{Op: wire.ManagePost, ConnectionID: id, Data: payload})
		switch resp.Code {
		case wire.CodeOK:
		case wire.CodeGone:
			gone = true
		default:
			t.Fatalf("delivery %d = %+v", i, resp)
		}
	}
	if !gone {
		t.Fatal("a reader that never reads was never disconnected")
	}
	m := disc.waitN(t, 1)[0]
	if got := m.Header.Get(wire.HeaderDisconnectStatusCode); got != "1008" || m.Header.Get(wire.HeaderDisconnectReason) != closeReasonSlow {
		t.Errorf("$disconnect = %s %q, want 1008 %q", got, m.Header.Get(wire.HeaderDisconnectReason), closeReasonSlow)
	}
	natstest.Eventually(t, waitFor, func() error {
		if n := e.hub.Count(); n != 0 {
			return fmt.Errorf("Count() = %d", n)
		}
		return nil
	})
}

func TestConnectionCap(t *testing.T) {
	s := natstest.Start(t)
	cfg := testConfig()
	cfg.MaxConns = 1
	e := startEdge(t, s, "edge-a", cfg, wsAPI(""))
	dial(t, e)
	_, resp, err := websocket.DefaultDialer.Dial(e.url(), nil)
	if err == nil || resp == nil || resp.StatusCode != 429 {
		t.Fatalf("second Dial: err %v resp %v, want 429", err, resp)
	}
}

func TestIdleTimeout(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	disc := backend(t, be, "chat.disconnect", nil)
	cfg := testConfig()
	cfg.IdleTimeout = 200 * time.Millisecond
	e := startEdge(t, s, "edge-a", cfg, wsAPI("", natsRoute(RouteDisconnect, "chat.disconnect")))
	c := dial(t, e)
	if code := readClose(t, c); code != websocket.CloseGoingAway {
		t.Fatalf("close code = %d, want 1001", code)
	}
	m := disc.waitN(t, 1)[0]
	if got := m.Header.Get(wire.HeaderDisconnectReason); got != closeReasonIdle {
		t.Errorf("reason = %q, want %q", got, closeReasonIdle)
	}
}

func TestPingKeepsAliveAndLifetimeCloses(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	disc := backend(t, be, "chat.disconnect", nil)
	cfg := testConfig()
	cfg.IdleTimeout = time.Second
	cfg.MaxLifetime = 2500 * time.Millisecond
	e := startEdge(t, s, "edge-a", cfg, wsAPI("", natsRoute(RouteDisconnect, "chat.disconnect")))
	c := dial(t, e)
	pongs := make(chan struct{}, 64)
	c.SetPongHandler(func(string) error {
		select {
		case pongs <- struct{}{}:
		default:
		}
		return nil
	})
	closed := make(chan int, 1)
	go func() { closed <- readCloseCode(c) }()
	// Ping well within the idle timeout until the server closes: only the lifetime can end it.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var code int
loop:
	for {
		select {
		case <-tick.C:
			_ = c.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second))
		case code = <-closed:
			break loop
		case <-time.After(waitFor):
			t.Fatal("no close within the lifetime")
		}
	}
	if code != websocket.CloseGoingAway {
		t.Fatalf("close code = %d, want 1001", code)
	}
	if len(pongs) == 0 {
		t.Error("no pong received")
	}
	m := disc.waitN(t, 1)[0]
	if got := m.Header.Get(wire.HeaderDisconnectReason); got != closeReasonLife {
		t.Errorf("reason = %q, want %q (pings keep an idle socket alive)", got, closeReasonLife)
	}
}

// readCloseCode reads until a close frame (its code) or another error (-1).
func readCloseCode(c *websocket.Conn) int {
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				return ce.Code
			}
			return -1
		}
	}
}

func TestManageWithoutConnectionsService(t *testing.T) {
	s := natstest.Start(t)
	e := startEdge(t, s, "edge-a", testConfig(), wsAPI(""))
	resp, err := http.Get("http://" + e.addr + "/" + testStage + "/@connections/AAAAAAAAAAAAAAA=")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("x-amzn-ErrorType") != "ServiceUnavailableException" {
		t.Fatalf("GET with no connections service = %d %q, want 503", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"))
	}
}
