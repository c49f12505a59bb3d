package admin

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// TestTraceContext checks that admin continues the caller's trace (traceparent header) and
// carries it on to the connections service in the NATS request headers.
func TestTraceContext(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })

	ns := natstest.Start(t)
	nc := natstest.Connect(t, ns)
	cfg := DefaultConfig()
	cfg.AccessKeyID, cfg.SecretAccessKey = testKeyID, testSecret
	svc, err := New(cfg, Deps{NATS: nc, Tracer: tp})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{svc: svc, nc: nc}
	e.srv = newServer(t, svc)

	gotParent := make(chan string, 1)
	sub, err := nc.Subscribe(wire.SubjectConnManage, func(m *nats.Msg) {
		gotParent <- m.Header.Get(wire.HeaderTraceparent)
		b, _ := wire.Marshal(wire.ManageResponse{})
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("POST", e.srv.URL+"/@connections/c1", strings.NewReader("hi"))
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	signRequest(t, req, []byte("hi"), testKeyID, testSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post = %d", resp.StatusCode)
	}
	if tp := <-gotParent; !strings.Contains(tp, traceID) {
		t.Errorf("NATS request traceparent = %q, want trace %s", tp, traceID)
	}
	natstest.Eventually(t, 5*time.Second, func() error {
		for _, s := range rec.Ended() {
			if s.Name() == "admin.PostToConnection" && s.SpanContext().TraceID().String() == traceID {
				return nil
			}
		}
		return errors.New("no admin.PostToConnection span in the caller's trace")
	})
}
