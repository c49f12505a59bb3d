package ws

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/fasthttp/websocket"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// buckets is a Throttle that grants each key its burst once (no refill) and records the keys.
type buckets struct {
	mu    sync.Mutex
	spent map[string]int64
	rates map[string]float64
}

func (b *buckets) allow(_ context.Context, key string, rate float64, burst int64) (bool, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rates[key] = rate
	if b.spent[key] >= burst {
		return false, wire.CodeThrottled
	}
	b.spent[key]++
	return true, ""
}

func TestRouteThrottling(t *testing.T) {
	s := natstest.Start(t)
	nc := natstest.Connect(t, s)
	backend(t, nc, "ws.thr.chat", echo("chat:"))
	backend(t, nc, "ws.thr.default", echo("default:"))
	b := &buckets{spent: map[string]int64{}, rates: map[string]float64{}}
	api := wsAPI("$request.body.action", natsRoute("chat", "ws.thr.chat"), natsRoute(RouteDefault, "ws.thr.default"))
	e := startEdge(t, s, "edge-thr", testConfig(), api, func(d *Deps) { d.Throttle = b.allow })
	e.settings.Store(&map[string]model.MethodSetting{
		model.StageDefaults: {ThrottlingRateLimit: 5, ThrottlingBurstLimit: 1},
		"chat":              {ThrottlingRateLimit: 7, ThrottlingBurstLimit: 2},
		RouteConnect:        {ThrottlingRateLimit: 9, ThrottlingBurstLimit: 1},
	})

	c := dial(t, e)
	if _, resp, err := websocket.DefaultDialer.Dial(e.url(), nil); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second handshake with a $connect burst of 1 = %v %v, want 429", err, resp)
	}
	for i, tt := range []struct{ send, want string }{
		{`{"action":"chat","n":1}`, `chat:{"action":"chat","n":1}`},
		{`{"action":"chat","n":2}`, `chat:{"action":"chat","n":2}`},
		{`{"action":"chat","n":3}`, `"message":"Too Many Requests"`},
		{`{"action":"other","n":4}`, `default:{"action":"other","n":4}`}, // the stage default bucket
		{`{"action":"other","n":5}`, `"message":"Too Many Requests"`},
	} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(tt.send)); err != nil {
			t.Fatal(err)
		}
		if got := readText(t, c); !containsAll(got, tt.want) {
			t.Fatalf("message %d: got %s, want %s", i+1, got, tt.want)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for key, rate := range map[string]float64{"ws/wsapi1/prod/chat": 7, "ws/wsapi1/prod": 5, "ws/wsapi1/prod/$connect": 9} {
		if b.rates[key] != rate {
			t.Errorf("rate of %s = %v, want %v (keys %v)", key, b.rates[key], rate, b.rates)
		}
	}
}
