package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TestOTLPExport: with OTEL_EXPORTER_OTLP_ENDPOINT set, spans leave over OTLP/HTTP to a real
// (in-test) collector endpoint, which decodes them.
func TestOTLPExport(t *testing.T) {
	var mu sync.Mutex
	var names []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names = append(names, s.Name)
				}
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")

	tp, shutdown, err := TracerProvider(context.Background(), "portico-test")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tp.(*sdktrace.TracerProvider); !ok {
		t.Fatalf("TracerProvider with an endpoint = %T, want the SDK provider", tp)
	}
	_, span := tp.Tracer("test").Start(context.Background(), "exported-span")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(names) != 1 || names[0] != "exported-span" {
		t.Errorf("collector received spans %v, want [exported-span]", names)
	}
}

func TestNoEndpointIsNoop(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tp, _, err := TracerProvider(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tp.Tracer("t").Start(context.Background(), "s")
	if span.IsRecording() {
		t.Error("span records without an endpoint")
	}
}

// TestInjectExtract: trace context crosses a NATS message under the lower-case W3C name.
func TestInjectExtract(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "parent")
	defer span.End()
	msg := nats.NewMsg("x")
	Inject(ctx, msg)
	if msg.Header.Get("traceparent") == "" || len(msg.Header["Traceparent"]) != 0 {
		t.Fatalf("headers after Inject = %v, want a lower-case traceparent", msg.Header)
	}
	got := trace.SpanContextFromContext(Extract(context.Background(), msg))
	if got.TraceID() != span.SpanContext().TraceID() || got.SpanID() != span.SpanContext().SpanID() || !got.IsRemote() {
		t.Errorf("Extract = %v, want remote %v", got, span.SpanContext())
	}
	empty := &nats.Msg{}
	Inject(context.Background(), empty)
	if empty.Header != nil {
		t.Errorf("Inject without a span added headers %v", empty.Header)
	}
}
