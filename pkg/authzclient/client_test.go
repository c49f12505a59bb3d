package authzclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/portico/portico/pkg/authzclient"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// responder stands in for the authz service: a real NATS subscriber that answers with
// decide and counts the requests it received.
type responder struct {
	count  atomic.Int64
	mu     sync.Mutex
	last   *nats.Msg
	decide func(req wire.AuthzRequest) wire.AuthzDecision
}

func startResponder(t testing.TB, nc *nats.Conn, decide func(req wire.AuthzRequest) wire.AuthzDecision) *responder {
	t.Helper()
	r := &responder{decide: decide}
	sub, err := nc.QueueSubscribe(wire.SubjectAuthzCheck, wire.QueueAuthz, func(msg *nats.Msg) {
		r.count.Add(1)
		r.mu.Lock()
		r.last = msg
		r.mu.Unlock()
		var req wire.AuthzRequest
		if err := wire.Unmarshal(msg.Data, &req); err != nil {
			_ = msg.Respond([]byte("not json"))
			return
		}
		body, _ := wire.Marshal(r.decide(req))
		_ = msg.Respond(body)
	})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return r
}

// keyDecider allows the key "good" on api/prod, forbids anything else.
func keyDecider(req wire.AuthzRequest) wire.AuthzDecision {
	if req.APIKey == "good" && req.APIID == "api" && req.Stage == "prod" {
		return wire.AuthzDecision{Allow: true, APIKeyID: "k1", UsageKey: "k1", TTLSeconds: 300}
	}
	return wire.AuthzDecision{Code: wire.CodeForbidden, Message: "Forbidden", TTLSeconds: 300}
}

func newClient(t testing.TB, nc *nats.Conn, mutate func(*authzclient.Config), opts ...authzclient.Option) *authzclient.Client {
	t.Helper()
	cfg := authzclient.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := authzclient.New(nc, cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func req(key string) *wire.AuthzRequest {
	return &wire.AuthzRequest{APIID: "api", Stage: "prod", Method: "GET", Path: "/pets", APIKey: key, NeedAPIKey: true}
}

func TestCheckCachesAllowsAndDenials(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	r := startResponder(t, natstest.Connect(t, srv), keyDecider)
	c := newClient(t, nc, func(cfg *authzclient.Config) { cfg.DenyTTL = time.Hour })
	ctx := context.Background()

	for i := range 3 {
		d, err := c.Check(ctx, req("good"))
		if err != nil || !d.Allow || d.APIKeyID != "k1" || d.UsageKey != "k1" {
			t.Fatalf("Check(good) #%d = %+v, %v, want allow k1", i, d, err)
		}
		d, err = c.Check(ctx, req("bad"))
		if err != nil || d.Allow || d.Code != wire.CodeForbidden {
			t.Fatalf("Check(bad) #%d = %+v, %v, want Forbidden", i, d, err)
		}
	}
	// Method and path are not part of an API-key decision's cache key.
	other := req("good")
	other.Method, other.Path = "POST", "/owners"
	if d, err := c.Check(ctx, other); err != nil || !d.Allow {
		t.Fatalf("Check(good, POST /owners) = %+v, %v, want allow", d, err)
	}
	// Another stage is another decision.
	staging := req("good")
	staging.Stage = "staging"
	if d, err := c.Check(ctx, staging); err != nil || d.Allow {
		t.Fatalf("Check(good, staging) = %+v, %v, want deny", d, err)
	}

	if got := r.count.Load(); got != 3 {
		t.Errorf("responder saw %d requests, want 3", got)
	}
	st := c.Stats()
	if st.Requests != 3 || st.Misses != 3 || st.Hits != 5 {
		t.Errorf("Stats() = %+v, want 3 requests, 3 misses, 5 hits", st)
	}
}

func TestCheckDoesNotCacheErrorsOrZeroTTL(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	r := startResponder(t, natstest.Connect(t, srv), func(req wire.AuthzRequest) wire.AuthzDecision {
		switch req.APIKey {
		case "internal":
			return wire.AuthzDecision{Code: wire.CodeInternal, Message: "boom", TTLSeconds: 300}
		default:
			return wire.AuthzDecision{Allow: true, TTLSeconds: 0}
		}
	})
	c := newClient(t, nc, nil)
	for _, key := range []string{"internal", "zero"} {
		for range 2 {
			if _, err := c.Check(context.Background(), req(key)); err != nil {
				t.Fatalf("Check(%q): %v", key, err)
			}
		}
	}
	if got := r.count.Load(); got != 4 {
		t.Errorf("responder saw %d requests, want 4 (nothing cached)", got)
	}
}

func TestDenialTTLIsCapped(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	r := startResponder(t, natstest.Connect(t, srv), keyDecider)
	c := newClient(t, nc, func(cfg *authzclient.Config) { cfg.DenyTTL = 0 })
	for range 3 {
		if d, err := c.Check(context.Background(), req("bad")); err != nil || d.Allow {
			t.Fatalf("Check(bad) = %+v, %v, want deny", d, err)
		}
	}
	if got := r.count.Load(); got != 3 {
		t.Errorf("responder saw %d requests, want 3 (DenyTTL 0 caches no denial)", got)
	}
}

func TestConcurrentMissesCoalesce(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	release := make(chan struct{})
	r := startResponder(t, natstest.Connect(t, srv), func(req wire.AuthzRequest) wire.AuthzDecision {
		<-release
		return keyDecider(req)
	})
	c := newClient(t, nc, nil)

	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			d, err := c.Check(context.Background(), req("good"))
			if err == nil && !d.Allow {
				err = fmt.Errorf("decision %+v, want allow", d)
			}
			errs <- err
		})
	}
	natstest.Eventually(t, 5*time.Second, func() error {
		if m := c.Stats().Misses; m != n {
			return fmt.Errorf("%d misses so far", m)
		}
		return nil
	})
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
	}
	if got := r.count.Load(); got != 1 {
		t.Errorf("responder saw %d requests, want 1", got)
	}
	if got := c.Stats().Requests; got != 1 {
		t.Errorf("Stats().Requests = %d, want 1", got)
	}
}

// stripeDistinct returns two keys whose hashes fall in different invalidation stripes.
func stripeDistinct(t *testing.T) (string, string) {
	t.Helper()
	a := "good"
	sa, _ := authzclient.ParseKeyHash(model.HashAPIKey(a))
	for i := range 100 {
		b := fmt.Sprintf("other-%d", i)
		sb, _ := authzclient.ParseKeyHash(model.HashAPIKey(b))
		if sa[0] != sb[0] || sa[1]&0x0f != sb[1]&0x0f {
			return a, b
		}
	}
	t.Fatal("no key in another stripe")
	return "", ""
}

func TestInvalidationByKeyHash(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	pub := natstest.Connect(t, srv)
	r := startResponder(t, natstest.Connect(t, srv), func(req wire.AuthzRequest) wire.AuthzDecision {
		return wire.AuthzDecision{Allow: true, APIKeyID: req.APIKey, TTLSeconds: 300}
	})
	c := newClient(t, nc, nil)
	a, b := stripeDistinct(t)
	ctx := context.Background()
	for _, k := range []string{a, b} {
		if _, err := c.Check(ctx, req(k)); err != nil {
			t.Fatalf("Check(%q): %v", k, err)
		}
	}
	body, _ := wire.Marshal(wire.Invalidation{APIKeyHash: model.HashAPIKey(a)})
	if err := pub.Publish(wire.SubjectAuthzInvalidate, body); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 5*time.Second, func() error {
		if got := c.Stats().Invalidations; got != 1 {
			return fmt.Errorf("%d invalidations applied", got)
		}
		return nil
	})
	for _, k := range []string{a, b} {
		if _, err := c.Check(ctx, req(k)); err != nil {
			t.Fatalf("Check(%q): %v", k, err)
		}
	}
	// a was fetched again, b was not.
	if got := r.count.Load(); got != 3 {
		t.Errorf("responder saw %d requests, want 3", got)
	}

	// All drops everything.
	body, _ = wire.Marshal(wire.Invalidation{All: true})
	if err := pub.Publish(wire.SubjectAuthzInvalidate, body); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 5*time.Second, func() error {
		if got := c.Stats().Invalidations; got != 2 {
			return fmt.Errorf("%d invalidations applied", got)
		}
		return nil
	})
	for _, k := range []string{a, b} {
		if _, err := c.Check(ctx, req(k)); err != nil {
			t.Fatalf("Check(%q): %v", k, err)
		}
	}
	if got := r.count.Load(); got != 5 {
		t.Errorf("responder saw %d requests, want 5", got)
	}
}

func TestInvalidationDuringFetchIsNotServedStale(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	release := make(chan struct{})
	var calls atomic.Int64
	r := startResponder(t, natstest.Connect(t, srv), func(req wire.AuthzRequest) wire.AuthzDecision {
		if calls.Add(1) == 1 {
			<-release // the first answer is computed before the key changes
		}
		return keyDecider(req)
	})
	c := newClient(t, nc, nil)
	done := make(chan error, 1)
	go func() {
		_, err := c.Check(context.Background(), req("good"))
		done <- err
	}()
	natstest.Eventually(t, 5*time.Second, func() error {
		if r.count.Load() != 1 {
			return errors.New("request not received yet")
		}
		return nil
	})
	c.Invalidate(wire.Invalidation{APIKeyHash: model.HashAPIKey("good")})
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Check: %v", err)
	}
	if _, err := c.Check(context.Background(), req("good")); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if got := r.count.Load(); got != 2 {
		t.Errorf("responder saw %d requests, want 2 (the racing answer must not be reused)", got)
	}
}

func TestErrors(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	c := newClient(t, nc, func(cfg *authzclient.Config) { cfg.Timeout = 200 * time.Millisecond })

	_, err := c.Check(context.Background(), req("good"))
	if !errors.Is(err, authzclient.ErrUnavailable) || authzclient.HTTPStatus(err) != http.StatusServiceUnavailable {
		t.Fatalf("Check without authz = %v (status %d), want ErrUnavailable, 503", err, authzclient.HTTPStatus(err))
	}

	silent := natstest.Connect(t, srv)
	sub, err := silent.Subscribe(wire.SubjectAuthzCheck, func(*nats.Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	if err := silent.Flush(); err != nil {
		t.Fatal(err)
	}
	_, err = c.Check(context.Background(), req("good"))
	if !errors.Is(err, authzclient.ErrTimeout) || authzclient.HTTPStatus(err) != http.StatusInternalServerError {
		t.Fatalf("Check with silent authz = %v (status %d), want ErrTimeout, 500", err, authzclient.HTTPStatus(err))
	}
	_ = sub.Unsubscribe()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Check(ctx, req("cancelled")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Check(cancelled ctx) = %v, want context.Canceled", err)
	}
	if got := authzclient.HTTPStatus(nil); got != http.StatusOK {
		t.Errorf("HTTPStatus(nil) = %d, want 200", got)
	}
}

func TestBadReply(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	bad := natstest.Connect(t, srv)
	sub, err := bad.Subscribe(wire.SubjectAuthzCheck, func(m *nats.Msg) { _ = m.Respond([]byte("{not json")) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := bad.Flush(); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, nc, nil)
	_, err = c.Check(context.Background(), req("good"))
	if !errors.Is(err, authzclient.ErrBadReply) || authzclient.HTTPStatus(err) != http.StatusInternalServerError {
		t.Fatalf("Check = %v, want ErrBadReply, 500", err)
	}
}

func TestTraceContextInjected(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	r := startResponder(t, natstest.Connect(t, srv), keyDecider)
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	c := newClient(t, nc, nil, authzclient.WithTracerProvider(tp))

	ctx, span := tp.Tracer("test").Start(context.Background(), "edge request")
	defer span.End()
	if _, err := c.Check(ctx, req("good")); err != nil {
		t.Fatalf("Check: %v", err)
	}
	r.mu.Lock()
	tp0 := r.last.Header.Get(wire.HeaderTraceparent)
	r.mu.Unlock()
	traceID := span.SpanContext().TraceID().String()
	if !strings.Contains(tp0, traceID) {
		t.Errorf("traceparent = %q, want trace id %s", tp0, traceID)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*authzclient.Config)
		bad    string
	}{
		{"default", func(*authzclient.Config) {}, ""},
		{"zero timeout", func(c *authzclient.Config) { c.Timeout = 0 }, "timeout"},
		{"no entries", func(c *authzclient.Config) { c.MaxEntries = 0 }, "max_entries"},
		{"deny over max", func(c *authzclient.Config) { c.DenyTTL = 2 * time.Hour }, "deny_ttl"},
		{"reply unbounded", func(c *authzclient.Config) { c.MaxReplyBytes = 0 }, "max_reply_bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := authzclient.DefaultConfig()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if tt.bad == "" && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if tt.bad != "" && (err == nil || !strings.Contains(err.Error(), tt.bad)) {
				t.Fatalf("Validate() = %v, want an error about %s", err, tt.bad)
			}
		})
	}
}

func TestWarmHitDoesNotAllocate(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	startResponder(t, natstest.Connect(t, srv), keyDecider)
	c := newClient(t, nc, nil)
	ctx := context.Background()
	rq := req("a-forty-character-api-key-0123456789abcd")
	if _, err := c.Check(ctx, rq); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.Check(ctx, rq); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("warm Check allocates %v times, want 0", allocs)
	}
}

func BenchmarkCheckWarm(b *testing.B) {
	srv := natstest.Start(b)
	nc := natstest.Connect(b, srv)
	startResponder(b, natstest.Connect(b, srv), keyDecider)
	c := newClient(b, nc, nil)
	ctx := context.Background()
	rq := req("a-forty-character-api-key-0123456789abcd")
	if _, err := c.Check(ctx, rq); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Check(ctx, rq); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestJWTDecisionsKeyedByTokenAndScopes(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	r := startResponder(t, natstest.Connect(t, srv), func(req wire.AuthzRequest) wire.AuthzDecision {
		return wire.AuthzDecision{Allow: true, PrincipalID: req.Token + "|" + strings.Join(req.Scopes, ","), TTLSeconds: 60}
	})
	c := newClient(t, nc, nil)
	jreq := func(id, token string, scopes ...string) *wire.AuthzRequest {
		return &wire.AuthzRequest{APIID: "api", Stage: "prod", JWT: &wire.JWTAuthorizer{ID: id, Issuer: "https://idp"}, Token: token, Scopes: scopes}
	}
	tests := []struct {
		name      string
		req       *wire.AuthzRequest
		principal string
	}{
		{"token a", jreq("a1", "tok-a"), "tok-a|"},
		{"token b", jreq("a1", "tok-b"), "tok-b|"},
		{"token a, one scope", jreq("a1", "tok-a", "read"), "tok-a|read"},
		{"token a, two scopes", jreq("a1", "tok-a", "read", "write"), "tok-a|read,write"},
		{"token a, other authorizer", jreq("a2", "tok-a"), "tok-a|"},
	}
	for range 2 {
		for _, tt := range tests {
			d, err := c.Check(context.Background(), tt.req)
			if err != nil || d.PrincipalID != tt.principal {
				t.Fatalf("Check(%s) = %+v, %v, want principal %q", tt.name, d, err, tt.principal)
			}
		}
	}
	if got := r.count.Load(); got != int64(len(tests)) {
		t.Errorf("responder saw %d requests, want %d (one per distinct identity)", got, len(tests))
	}
}
