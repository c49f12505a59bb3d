package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/portico/portico/pkg/lease"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/redistest"
	"github.com/portico/portico/pkg/wire"
)

// startService runs the service against ns until the test ends; Run must return nil.
func startService(t *testing.T, ns *server.Server, cfg Config, reg prometheus.Registerer) *Service {
	t.Helper()
	svc, err := New(cfg, Deps{Logger: testLogger(t), Metrics: reg, NATS: natstest.Connect(t, ns)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	})
	// Ready once a lease request gets an answer.
	nc := natstest.Connect(t, ns)
	natstest.Eventually(t, 5*time.Second, func() error {
		_, err := nc.Request(wire.SubjectRateLimitLease, []byte("{}"), time.Second)
		return err
	})
	return svc
}

// redisConfig is a config on the test Redis with the test's own key prefix.
func redisConfig(t *testing.T) Config {
	t.Helper()
	_, prefix := redistest.Client(t)
	cfg := DefaultConfig()
	cfg.RedisURL = redistest.URL()
	cfg.KeyPrefix = prefix
	cfg.RedisTimeout = 2 * time.Second // a busy test machine must not look like an outage
	return cfg
}

func newLimiter(t *testing.T, ns *server.Server, cfg lease.Config) *lease.Limiter {
	t.Helper()
	return lease.New(natstest.Connect(t, ns), cfg)
}

// drive calls Allow on key every interval from each limiter for d and returns the admitted
// count and the measured time from the first call to the end of the last.
func drive(lims []*lease.Limiter, key string, rate float64, burst int64, interval, d time.Duration) (int64, time.Duration) {
	var admitted atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, l := range lims {
		wg.Go(func() {
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for time.Since(start) < d {
				if l.Allow(context.Background(), key, rate, burst).Allowed {
					admitted.Add(1)
				}
				<-tick.C
			}
		})
	}
	wg.Wait()
	return admitted.Load(), time.Since(start)
}

// TestAccuracyThreeEdges: three edges drive one key at about twice its rate; together they
// admit rate × T + burst within 5%.
func TestAccuracyThreeEdges(t *testing.T) {
	t.Parallel()
	ns := natstest.Start(t)
	startService(t, ns, redisConfig(t), nil)
	var lims []*lease.Limiter
	for i := range 3 {
		lims = append(lims, newLimiter(t, ns, lease.Config{EdgeID: fmt.Sprintf("edge-%d", i), Timeout: time.Second}))
	}
	const rate, burst = 50.0, 20
	admitted, took := drive(lims, "acc", rate, burst, 30*time.Millisecond, 10*time.Second) // ~100 req/s for 10 s, as the issue asks
	want := rate*took.Seconds() + burst
	if d := float64(admitted) - want; d > 0.05*want || d < -0.05*want {
		t.Fatalf("admitted %d in %v, want %.1f ± 5%%", admitted, took, want)
	}
	for i, l := range lims {
		if s := l.Stats(); s.Failures != 0 || s.Leases == 0 {
			t.Errorf("edge %d stats %+v, want leases and no failures", i, s)
		}
	}
}

// TestAccuracyOneRPS: a 1 rps limit stays exact across three edges.
func TestAccuracyOneRPS(t *testing.T) {
	t.Parallel()
	ns := natstest.Start(t)
	startService(t, ns, redisConfig(t), nil)
	var lims []*lease.Limiter
	for i := range 3 {
		lims = append(lims, newLimiter(t, ns, lease.Config{EdgeID: fmt.Sprintf("edge-%d", i), Timeout: time.Second}))
	}
	const burst = 2
	admitted, took := drive(lims, "one", 1, burst, 50*time.Millisecond, 10*time.Second)
	want := burst + int64(took.Seconds())
	if admitted < want-1 || admitted > want+1 {
		t.Fatalf("admitted %d in %v at 1 rps, want %d ± 1", admitted, took, want)
	}
}

// TestConcurrentCallersNeverOverAdmit: many goroutines on three edges, one key, as fast as
// they can: never more than the bucket allows.
func TestConcurrentCallersNeverOverAdmit(t *testing.T) {
	ns := natstest.Start(t)
	startService(t, ns, redisConfig(t), nil)
	var lims []*lease.Limiter
	for i := range 3 {
		lims = append(lims, newLimiter(t, ns, lease.Config{EdgeID: fmt.Sprintf("edge-%d", i), Timeout: 5 * time.Second}))
	}
	const rate, burst = 10.0, 40
	var admitted, calls atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range 48 {
		l := lims[g%3]
		wg.Go(func() {
			for range 30 {
				calls.Add(1)
				if l.Allow(context.Background(), "race", rate, burst).Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	limit := int64(burst + rate*took.Seconds())
	if got := admitted.Load(); got > limit || got == 0 {
		t.Fatalf("admitted %d of %d calls in %v, want in [1, %d]", got, calls.Load(), took, limit)
	}
	for i, l := range lims {
		if s := l.Stats(); s.Failures != 0 || s.PolicyAdmits != 0 {
			t.Errorf("edge %d stats %+v: the outage policy must not have decided", i, s)
		}
	}
}

// TestNoResponders: without a ratelimit service, Allow returns and the policy applies.
func TestNoResponders(t *testing.T) {
	ns := natstest.Start(t)
	open := newLimiter(t, ns, lease.Config{EdgeID: "open"})
	closed := newLimiter(t, ns, lease.Config{EdgeID: "closed", Policy: lease.FailClosed})
	closed429 := newLimiter(t, ns, lease.Config{EdgeID: "c429", Policy: lease.FailClosed, ClosedCode: wire.CodeThrottled})
	const rate, burst = 1.0, 5
	start := time.Now()
	var admitted int64
	for range 50 {
		if open.Allow(context.Background(), "k", rate, burst).Allowed {
			admitted++
		}
	}
	bound := burst + int64(rate*time.Since(start).Seconds()) + 1
	if admitted < burst || admitted > bound {
		t.Fatalf("fail-open admitted %d of 50 with no responders, want in [%d, %d] (local bucket)", admitted, burst, bound)
	}
	if d := closed.Allow(context.Background(), "k", rate, burst); d.Allowed || d.Code != wire.CodeUnavailable {
		t.Fatalf("fail-closed Allow = %+v, want refused with %s", d, wire.CodeUnavailable)
	}
	if d := closed429.Allow(context.Background(), "k", rate, burst); d.Allowed || d.Code != wire.CodeThrottled {
		t.Fatalf("fail-closed (429) Allow = %+v, want refused with %s", d, wire.CodeThrottled)
	}
	if s := open.Stats(); s.Failures == 0 || s.PolicyAdmits != admitted {
		t.Fatalf("fail-open stats %+v, want failures and %d policy admits", s, admitted)
	}
}

// TestRedisOutage kills the service's own redis-server under load: fail-open admits through
// the local bucket, fail-closed refuses, and leases resume when Redis is back on the same port.
func TestRedisOutage(t *testing.T) {
	port := freePort(t)
	rs := startRedis(t, port)
	ns := natstest.Start(t)
	reg := prometheus.NewRegistry()
	cfg := DefaultConfig()
	cfg.RedisURL = "redis://127.0.0.1:" + strconv.Itoa(port)
	cfg.RedisTimeout = 100 * time.Millisecond
	startService(t, ns, cfg, reg)
	open := newLimiter(t, ns, lease.Config{EdgeID: "open", Timeout: time.Second, OutageBackoff: 20 * time.Millisecond})
	closed := newLimiter(t, ns, lease.Config{EdgeID: "closed", Timeout: time.Second, OutageBackoff: 20 * time.Millisecond, Policy: lease.FailClosed})
	ctx := context.Background()
	const rate, burst = 20.0, 10

	if !closed.Allow(ctx, "up", rate, burst).Allowed || closed.Stats().Leases == 0 {
		t.Fatalf("with Redis up, fail-closed did not get a lease: %+v", closed.Stats())
	}

	// Load on both edges while Redis dies.
	var stopLoad atomic.Bool
	var wg sync.WaitGroup
	for _, l := range []*lease.Limiter{open, closed} {
		wg.Go(func() {
			for !stopLoad.Load() {
				l.Allow(ctx, "load", rate, burst)
			}
		})
	}
	rs.kill(t)
	natstest.Eventually(t, 5*time.Second, func() error {
		if d := closed.Allow(ctx, "probe", rate, burst); d.Code != wire.CodeUnavailable {
			return fmt.Errorf("fail-closed Allow = %+v, want %s", d, wire.CodeUnavailable)
		}
		return nil
	})
	// The service itself answers CodeUnavailable, it does not go quiet.
	nc := natstest.Connect(t, ns)
	req, _ := wire.Marshal(wire.LeaseRequest{Key: "direct", Rate: 1, Burst: 1, Want: 1})
	reply, err := nc.Request(wire.SubjectRateLimitLease, req, 2*time.Second)
	if err != nil {
		t.Fatalf("lease request with Redis down: %v", err)
	}
	var g wire.LeaseGrant
	if err := wire.Unmarshal(reply.Data, &g); err != nil || g.Code != wire.CodeUnavailable {
		t.Fatalf("lease grant with Redis down = %+v (%v), want code %s", g, err, wire.CodeUnavailable)
	}

	// Fail-open: a stampede on a fresh key is bounded by the local bucket.
	start := time.Now()
	var admitted int64
	for range 300 {
		if open.Allow(ctx, "stampede", rate, burst).Allowed {
			admitted++
		}
	}
	bound := burst + int64(rate*time.Since(start).Seconds()) + 1
	if admitted < burst || admitted > bound {
		t.Fatalf("fail-open admitted %d of 300 during the outage, want in [%d, %d]", admitted, burst, bound)
	}
	for range 20 {
		if d := closed.Allow(ctx, "stampede", rate, burst); d.Allowed || d.Code != wire.CodeUnavailable {
			t.Fatalf("fail-closed Allow during the outage = %+v, want refused %s", d, wire.CodeUnavailable)
		}
	}
	if got := counter(t, reg, "portico_ratelimit_store_errors_total", ""); got == 0 {
		t.Fatalf("portico_ratelimit_store_errors_total = 0 during the outage")
	}

	// Redis returns on the same port: leases resume by themselves.
	startRedisOn(t, port)
	before := closed.Stats().Leases
	natstest.Eventually(t, 10*time.Second, func() error {
		if d := closed.Allow(ctx, "after", rate, burst); !d.Allowed {
			return fmt.Errorf("fail-closed Allow after Redis restart = %+v", d)
		}
		return nil
	})
	if closed.Stats().Leases == before {
		t.Fatalf("no lease granted after Redis came back")
	}
	stopLoad.Store(true)
	wg.Wait()
	if got := counter(t, reg, "portico_ratelimit_leases_total", "unavailable"); got == 0 {
		t.Fatalf(`portico_ratelimit_leases_total{result="unavailable"} = 0`)
	}
}

func TestLeaseSizeFollowsEdges(t *testing.T) {
	ns := natstest.Start(t)
	cfg := DefaultConfig() // memory store
	startService(t, ns, cfg, nil)
	nc := natstest.Connect(t, ns)
	ask := func(key string) wire.LeaseGrant {
		t.Helper()
		req, _ := wire.Marshal(wire.LeaseRequest{Key: key, Rate: 400, Burst: 1000, Want: 1000})
		reply, err := nc.Request(wire.SubjectRateLimitLease, req, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var g wire.LeaseGrant
		if err := wire.Unmarshal(reply.Data, &g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	// No edges known: one edge, 400/s × 100 ms = 40.
	if g := ask("a"); g.Granted != 40 || g.ExpiresMillis != 200 || g.Code != "" {
		t.Fatalf("grant with one edge = %+v, want 40 tokens for 200 ms", g)
	}
	for i := range 4 {
		hb, _ := wire.Marshal(wire.EdgeHeartbeat{EdgeID: fmt.Sprintf("e%d", i)})
		if err := nc.Publish(wire.SubjectEdgeHeartbeat, hb); err != nil {
			t.Fatal(err)
		}
	}
	natstest.Eventually(t, 5*time.Second, func() error {
		if g := ask("b"); g.Granted != 10 {
			return fmt.Errorf("grant with four edges = %+v, want 10 tokens", g)
		}
		return nil
	})
}

func TestBadRequests(t *testing.T) {
	ns := natstest.Start(t)
	startService(t, ns, DefaultConfig(), nil)
	nc := natstest.Connect(t, ns)
	for _, body := range []string{`not json`, `{"key":"","rate":1}`, `{"key":"k","rate":0}`, `{"key":"k","rate":1e300}`} {
		reply, err := nc.Request(wire.SubjectRateLimitLease, []byte(body), 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var g wire.LeaseGrant
		if err := wire.Unmarshal(reply.Data, &g); err != nil || g.Code != wire.CodeBadRequest || g.Granted != 0 {
			t.Errorf("request %s: grant %+v (%v), want code %s", body, g, err, wire.CodeBadRequest)
		}
	}
}

func TestLeaseSize(t *testing.T) {
	tests := []struct {
		name        string
		rate        float64
		burst, want int64
		edges       int
		size        int64
	}{
		{"low rate stays exact", 1, 1, 100, 3, 1},
		{"shared by edges", 1000, 5000, 0, 4, 25},
		{"capped by burst", 1000, 10, 0, 1, 10},
		{"capped by want", 1000, 5000, 7, 1, 7},
		{"no edges counts as one", 100, 100, 0, 0, 10},
		{"burst defaults from rate", 300, 0, 0, 1, 30},
	}
	for _, tc := range tests {
		if got := LeaseSize(tc.rate, tc.burst, tc.want, 100*time.Millisecond, tc.edges); got != tc.size {
			t.Errorf("%s: LeaseSize(%v, %d, %d, 100ms, %d) = %d, want %d", tc.name, tc.rate, tc.burst, tc.want, tc.edges, got, tc.size)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	for _, u := range []string{"redis://127.0.0.1:6379/0", "rediss://user:pw@example.com:6380"} {
		c := DefaultConfig()
		c.RedisURL = u
		if err := c.Validate(); err != nil {
			t.Errorf("Validate with redis_url %q = %v", u, err)
		}
	}
	bad := DefaultConfig()
	bad.RedisURL = "http://nope"
	bad.RedisTimeout = 0
	bad.LeaseTTL = 0
	bad.Workers = 0
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate of a bad config = nil")
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 4 {
		t.Fatalf("Validate = %v, want the 4 problems joined", err)
	}
	if _, err := New(bad, Deps{}); err == nil {
		t.Fatal("New with a bad config succeeded")
	}
}

// counter reads a counter from reg (label value "" for an unlabelled one).
func counter(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if result == "" {
				return m.GetCounter().GetValue()
			}
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "result" && lp.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{result=%q} not found", name, result)
	return 0
}

type redisProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startRedis runs redis-server on port until the test ends (or kill).
func startRedis(t *testing.T, port int) *redisProc {
	t.Helper()
	return startRedisOn(t, port)
}

func startRedisOn(t *testing.T, port int) *redisProc {
	t.Helper()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server (is it on PATH?): %v", err)
	}
	p := &redisProc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill(t) })
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	defer c.Close()
	natstest.Eventually(t, 10*time.Second, func() error {
		return c.Ping(context.Background()).Err()
	})
	return p
}

func (p *redisProc) kill(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
