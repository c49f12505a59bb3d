package lease

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// responder answers lease requests on a real NATS server with grant and counts them.
type responder struct {
	requests atomic.Int64
	mu       sync.Mutex
	last     *nats.Msg
}

func respond(t *testing.T, ns *server.Server, grant wire.LeaseGrant) *responder {
	t.Helper()
	r := &responder{}
	nc := natstest.Connect(t, ns)
	data, err := wire.Marshal(grant)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Subscribe(wire.SubjectRateLimitLease, func(m *nats.Msg) {
		r.requests.Add(1)
		r.mu.Lock()
		r.last = m
		r.mu.Unlock()
		_ = m.Respond(data)
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFastPathAllocatesNothing(t *testing.T) {
	ns := natstest.Start(t)
	respond(t, ns, wire.LeaseGrant{Granted: 1 << 40, ExpiresMillis: 3600_000})
	l := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second})
	ctx := context.Background()
	if d := l.Allow(ctx, "k", 1e6, 1e6); !d.Allowed {
		t.Fatalf("first Allow = %+v, want allowed", d)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if !l.Allow(ctx, "k", 1e6, 1e6).Allowed {
			t.Fatal("refused with a live lease")
		}
	})
	if allocs != 0 {
		t.Fatalf("Allow with a live lease allocates %v times, want 0", allocs)
	}
}

func TestOneRefillInFlightPerKey(t *testing.T) {
	ns := natstest.Start(t)
	r := respond(t, ns, wire.LeaseGrant{Granted: 1000, ExpiresMillis: 3600_000})
	l := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second})
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if l.Allow(context.Background(), "k", 100, 1000).Allowed {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if got := r.requests.Load(); got != 1 {
		t.Fatalf("64 concurrent callers made %d lease requests, want 1", got)
	}
	if got := admitted.Load(); got != 64 {
		t.Fatalf("admitted %d of 64 with a lease of 1000", got)
	}
}

func TestEmptyBucketRefusesWithoutAsking(t *testing.T) {
	ns := natstest.Start(t)
	r := respond(t, ns, wire.LeaseGrant{Granted: 0, ExpiresMillis: 200, RetryAfterMs: 60_000})
	l := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second})
	for i := range 100 {
		d := l.Allow(context.Background(), "k", 1, 1)
		if d.Allowed || d.Code != wire.CodeThrottled || d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
			t.Fatalf("call %d: Allow = %+v, want throttled with retry after <= 1m", i, d)
		}
	}
	if got := r.requests.Load(); got != 1 {
		t.Fatalf("100 refused calls made %d lease requests, want 1 (retry after is honoured)", got)
	}
}

func TestLeaseExpires(t *testing.T) {
	ns := natstest.Start(t)
	r := respond(t, ns, wire.LeaseGrant{Granted: 1000, ExpiresMillis: 1})
	l := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second})
	natstest.Eventually(t, 5*time.Second, func() error {
		if !l.Allow(context.Background(), "k", 100, 1000).Allowed {
			t.Fatal("refused")
		}
		if r.requests.Load() < 2 {
			return errString("lease not renewed after expiry")
		}
		return nil
	})
}

type errString string

func (e errString) Error() string { return string(e) }

func TestUnavailableAppliesPolicy(t *testing.T) {
	ns := natstest.Start(t)
	r := respond(t, ns, wire.LeaseGrant{Code: wire.CodeUnavailable})
	open := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second, OutageBackoff: time.Hour})
	closed := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second, OutageBackoff: time.Hour, Policy: FailClosed})
	var admitted int
	for range 50 {
		if open.Allow(context.Background(), "k", 0.001, 7).Allowed {
			admitted++
		}
	}
	if admitted != 7 {
		t.Fatalf("fail-open admitted %d, want the local burst of 7", admitted)
	}
	for range 10 {
		if d := closed.Allow(context.Background(), "k", 1000, 1000); d.Allowed || d.Code != wire.CodeUnavailable {
			t.Fatalf("fail-closed Allow = %+v, want refused %s", d, wire.CodeUnavailable)
		}
	}
	if got := r.requests.Load(); got != 2 {
		t.Fatalf("%d lease requests during the backoff, want 1 per limiter", got)
	}
	if s := open.Stats(); s.Failures != 1 || s.PolicyAdmits != 7 || s.PolicyRefusals != 43 {
		t.Fatalf("fail-open stats %+v", s)
	}
}

func TestTimeoutAppliesPolicy(t *testing.T) {
	ns := natstest.Start(t)
	nc := natstest.Connect(t, ns)
	if _, err := nc.Subscribe(wire.SubjectRateLimitLease, func(*nats.Msg) {}); err != nil { // never answers
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	l := New(natstest.Connect(t, ns), Config{Timeout: 20 * time.Millisecond, Policy: FailClosed, ClosedCode: wire.CodeThrottled})
	if d := l.Allow(context.Background(), "k", 10, 10); d.Allowed || d.Code != wire.CodeThrottled {
		t.Fatalf("Allow with a silent ratelimit = %+v, want refused %s", d, wire.CodeThrottled)
	}
	if s := l.Stats(); s.Failures != 1 {
		t.Fatalf("stats %+v, want one failure", s)
	}
}

func TestCanceledCallerIsNotAnOutage(t *testing.T) {
	ns := natstest.Start(t)
	respond(t, ns, wire.LeaseGrant{Granted: 10, ExpiresMillis: 60_000})
	l := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second, Policy: FailClosed})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d := l.Allow(ctx, "k", 10, 10); !d.Allowed {
		t.Fatalf("Allow with a canceled context = %+v, want allowed (lease granted)", d)
	}
	if s := l.Stats(); s.Failures != 0 {
		t.Fatalf("stats %+v, want no failure", s)
	}
}

func TestTraceContextInjected(t *testing.T) {
	ns := natstest.Start(t)
	r := respond(t, ns, wire.LeaseGrant{Granted: 10, ExpiresMillis: 60_000})
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	l := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second, Tracer: tp, EdgeID: "edge-7"})
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	defer span.End()
	if !l.Allow(ctx, "k", 10, 10).Allowed {
		t.Fatal("refused")
	}
	r.mu.Lock()
	m := r.last
	r.mu.Unlock()
	if tp := m.Header.Get(wire.HeaderTraceparent); len(tp) != 55 || tp[3:35] != span.SpanContext().TraceID().String() {
		t.Fatalf("traceparent = %q, want the caller's trace %s", tp, span.SpanContext().TraceID())
	}
	var req wire.LeaseRequest
	if err := wire.Unmarshal(m.Data, &req); err != nil {
		t.Fatal(err)
	}
	if req != (wire.LeaseRequest{Key: "k", Rate: 10, Burst: 10, Want: 10, EdgeID: "edge-7"}) {
		t.Fatalf("lease request = %+v", req)
	}
}

func TestInvalidLimitsRefuse(t *testing.T) {
	ns := natstest.Start(t)
	r := respond(t, ns, wire.LeaseGrant{Granted: 10, ExpiresMillis: 60_000})
	l := New(natstest.Connect(t, ns), Config{})
	for _, rate := range []float64{0, -1} {
		if d := l.Allow(context.Background(), "k", rate, 10); d.Allowed || d.Code != wire.CodeThrottled {
			t.Errorf("Allow(rate %v) = %+v, want throttled", rate, d)
		}
	}
	if d := l.Allow(context.Background(), "", 1, 1); d.Allowed {
		t.Errorf("Allow(empty key) = %+v, want refused", d)
	}
	if got := r.requests.Load(); got != 0 {
		t.Fatalf("invalid limits made %d lease requests", got)
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    Policy
		wantErr bool
	}{
		{"", FailOpen, false}, {"fail-open", FailOpen, false}, {"fail-closed", FailClosed, false},
		{"FAIL_CLOSED", FailClosed, false}, {"closed", FailOpen, true},
	}
	for _, tc := range tests {
		got, err := ParsePolicy(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParsePolicy(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func BenchmarkAllowLiveLease(b *testing.B) {
	ns := natstest.Start(b)
	nc := natstest.Connect(b, ns)
	data, _ := wire.Marshal(wire.LeaseGrant{Granted: 1 << 50, ExpiresMillis: 3600_000})
	if _, err := nc.Subscribe(wire.SubjectRateLimitLease, func(m *nats.Msg) { _ = m.Respond(data) }); err != nil {
		b.Fatal(err)
	}
	l := New(natstest.Connect(b, ns), Config{Timeout: 5 * time.Second})
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, k := range keys {
		l.Allow(context.Background(), k, 1e9, 1<<39)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(context.Background(), keys[i%len(keys)], 1e9, 1<<39)
			i++
		}
	})
}

func TestKeysAreBounded(t *testing.T) {
	ns := natstest.Start(t)
	respond(t, ns, wire.LeaseGrant{Granted: 10, ExpiresMillis: 60_000})
	l := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second, MaxKeys: 64})
	refused := 0
	for i := range 1000 {
		d := l.Allow(context.Background(), "key-"+strconv.Itoa(i), 10, 10)
		if !d.Allowed {
			if d.Code != wire.CodeThrottled {
				t.Fatalf("refusal code %q, want %s", d.Code, wire.CodeThrottled)
			}
			refused++
		}
	}
	tracked := 0
	for i := range l.buckets {
		tracked += len(l.buckets[i].keys)
	}
	if tracked > 64+shards || refused == 0 {
		t.Fatalf("tracking %d keys (refused %d of 1000) with MaxKeys 64", tracked, refused)
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.Policy != FailOpen || c.Timeout != DefaultTimeout || c.ClosedCode != wire.CodeUnavailable || c.MaxKeys != DefaultMaxKeys {
		t.Fatalf("DefaultConfig() = %+v", c)
	}
	if l := New(nil, c); l.cfg.RefillWait != c.Timeout || l.cfg.Tracer == nil || l.cfg.Logger == nil {
		t.Fatalf("New(DefaultConfig()) config %+v", l.cfg)
	}
}
