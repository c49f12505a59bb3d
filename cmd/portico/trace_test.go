package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/examples/petstore"
	"github.com/portico/portico/pkg/natstest"
)

// TestTraceSpansEveryHop sends one request that needs authz (an API key), ratelimit (a
// throttled stage) and a NATS backend, and checks that one trace links them: every span has
// the edge's trace id and reaches the edge's server span through its parents.
func TestTraceSpansEveryHop(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	g := startServe(t, serveOptions{tracer: tp})
	nc := natstest.ConnectURL(t, g.natsURL())
	svc, err := petstore.Serve(nc, petstore.NewStore(), tp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	imp := importAPI(t, g, e2eTraceAPI, "--stage", "traced", "--throttle-rate", "100", "--throttle-burst", "100")
	var key struct{ ID, Value string }
	out := cli(t, "apikey", "create", "--api", imp.APIID, "--stage", "traced", "--admin", "http://"+g.opts.adminAddr, "-o", "json")
	if err := json.Unmarshal([]byte(out), &key); err != nil {
		t.Fatalf("apikey create printed %q: %v", out, err)
	}
	r := do(t, "POST", imp.InvokeURL+"/pets", `{"type":"owl"}`, "x-api-key", key.Value)
	if r.status != 201 {
		t.Fatalf("POST /pets = %d %s", r.status, r.body)
	}

	// a service's span may end just after it replied: poll until every hop has reported
	var found map[string]bool
	var spans int
	natstest.Eventually(t, 5*time.Second, func() error {
		found, spans = linkedScopes(rec.Ended(), "POST /pets")
		for _, scope := range []string{"authz", "ratelimit", "backend"} {
			if !found[scope] {
				return fmt.Errorf("no %s server span under the edge span; linked scopes %v (spans in trace: %d)", scope, found, spans)
			}
		}
		return nil
	})
}

// linkedScopes finds the edge's root server span named rootName and returns the last element
// of the instrumentation scope of every other server span that reaches it through its parents.
func linkedScopes(all []sdktrace.ReadOnlySpan, rootName string) (map[string]bool, int) {
	var root trace.SpanContext
	for _, s := range all {
		if s.SpanKind() == trace.SpanKindServer && s.Name() == rootName && !s.Parent().IsValid() {
			root = s.SpanContext()
		}
	}
	found := map[string]bool{}
	if !root.IsValid() {
		return found, 0
	}
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range all {
		if s.SpanContext().TraceID() == root.TraceID() {
			byID[s.SpanContext().SpanID()] = s
		}
	}
	for _, s := range byID {
		if s.SpanKind() != trace.SpanKindServer || s.SpanContext().SpanID() == root.SpanID() {
			continue
		}
		p := s.Parent()
		for i := 0; p.IsValid() && p.SpanID() != root.SpanID() && i < 16; i++ {
			parent, ok := byID[p.SpanID()]
			if !ok {
				break
			}
			p = parent.Parent()
		}
		if p.SpanID() == root.SpanID() {
			scope := s.InstrumentationScope().Name
			found[scope[strings.LastIndex(scope, "/")+1:]] = true
		}
	}
	return found, len(byID)
}

const e2eTraceAPI = `openapi: 3.0.1
info: {title: traced, version: "1"}
paths:
  /pets:
    post:
      security: [{api_key: []}]
      x-amazon-apigateway-integration: {type: nats_proxy, uri: petstore.pets.create}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
`
