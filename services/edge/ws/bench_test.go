package ws

import (
	"testing"

	"github.com/fasthttp/websocket"
	"github.com/portico/portico/pkg/natstest"
)

func BenchmarkSelect(b *testing.B) {
	s, err := ParseSelector("$request.body.action")
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"action":"sendmessage","data":"hello world"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Select(body); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkFrameScanner(b *testing.B) {
	var stream []byte
	for range 64 {
		stream = append(stream, frame(1024, true)...)
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		s := frameScanner{max: 32 << 10}
		for off := 0; off < len(stream); off += 4096 {
			if _, tooBig := s.scan(stream[off:min(off+4096, len(stream))]); tooBig {
				b.Fatal("tripped")
			}
		}
	}
}

// BenchmarkRoundTrip is one client message through the hub, a NATS_PROXY backend and back.
func BenchmarkRoundTrip(b *testing.B) {
	s := natstest.Start(b)
	be := natstest.Connect(b, s)
	backend(b, be, "bench.echo", echo(""))
	e := startEdge(b, s, "edge-bench", testConfig(), wsAPI("", natsRoute(RouteDefault, "bench.echo")))
	c := dial(b, e)
	msg := []byte(`{"action":"x","data":"0123456789012345678901234567890123456789"}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}
