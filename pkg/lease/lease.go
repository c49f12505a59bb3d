// Package lease is the edge's client of the ratelimit service. It keeps Redis and NATS off the
// per-request path: Allow spends tokens from a small local lease per key, and only when a lease
// runs dry does one caller ask ratelimit for a new one (one request in flight per key; other
// callers wait for it briefly). When ratelimit or its store is unavailable, the configured
// outage policy decides: FailOpen admits through a local token bucket at the same rate and
// burst (so a stampede stays bounded per edge), FailClosed refuses.
package lease

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/tokenbucket"
	"github.com/portico/portico/pkg/wire"
)

// Policy is what Allow does while ratelimit (or its store) is unavailable.
type Policy int

const (
	// FailOpen admits requests through a local per-edge token bucket at the key's rate and
	// burst.
	FailOpen Policy = iota
	// FailClosed refuses requests with Config.ClosedCode.
	FailClosed
)

// String returns "fail-open" or "fail-closed".
func (p Policy) String() string {
	if p == FailClosed {
		return "fail-closed"
	}
	return "fail-open"
}

// ParsePolicy reads "fail-open" or "fail-closed" (empty means fail-open).
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "", "fail-open", "FAIL_OPEN":
		return FailOpen, nil
	case "fail-closed", "FAIL_CLOSED":
		return FailClosed, nil
	}
	return FailOpen, fmt.Errorf("lease: unknown outage policy %q (want fail-open or fail-closed)", s)
}

// Config configures a Limiter. Zero fields take the defaults below.
type Config struct {
	// EdgeID identifies this edge in lease requests (ratelimit counts live edges).
	EdgeID string
	// Timeout bounds one lease request (default 25 ms).
	Timeout time.Duration
	// RefillWait bounds how long a caller waits for another caller's lease request on the
	// same key before the outage policy decides for it (default Timeout).
	RefillWait time.Duration
	// OutageBackoff is how long, after a failed lease request, the policy decides for a key
	// before ratelimit is asked again (default 250 ms).
	OutageBackoff time.Duration
	// Policy applies while ratelimit is unavailable (default FailOpen).
	Policy Policy
	// ClosedCode is the refusal code under FailClosed: wire.CodeUnavailable (default, the edge
	// answers 503) or wire.CodeThrottled (429).
	ClosedCode string
	// MaxWant caps the tokens asked per lease (default: the burst; ratelimit sizes leases
	// further from the rate and the number of live edges).
	MaxWant int64
	// MaxQuotaWant caps the size of quota leases (default 100). Quota leases start at 1 and
	// double while they are spent before they expire, halve when they are not: unspent quota
	// is not given back, it counts as used.
	MaxQuotaWant int64
	// MaxKeys bounds the keys tracked (default 100000). Idle keys are dropped when full; a
	// new key that still finds no room is refused as throttled.
	MaxKeys int
	// Tracer makes the client spans of lease requests (default no-op).
	Tracer trace.TracerProvider
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultTimeout       = 25 * time.Millisecond
	DefaultOutageBackoff = 250 * time.Millisecond
	DefaultMaxKeys       = 100000
)

// DefaultConfig returns the defaults: FailOpen, 25 ms lease requests, 250 ms outage backoff.
func DefaultConfig() Config {
	return Config{
		Timeout:       DefaultTimeout,
		RefillWait:    DefaultTimeout,
		OutageBackoff: DefaultOutageBackoff,
		Policy:        FailOpen,
		ClosedCode:    wire.CodeUnavailable,
		MaxQuotaWant:  100,
		MaxKeys:       DefaultMaxKeys,
	}
}

// Decision is Allow's answer.
type Decision struct {
	Allowed bool
	// Code is wire.CodeThrottled when refused by the limit, or Config.ClosedCode when refused
	// by the FailClosed policy.
	Code string
	// RetryAfter is a hint for refused requests (zero when unknown).
	RetryAfter time.Duration
}

// Stats counts what a Limiter did.
type Stats struct {
	// Leases is how many lease requests were answered by ratelimit.
	Leases int64
	// Failures is how many lease requests failed (no responders, timeout, store down).
	Failures int64
	// PolicyAdmits and PolicyRefusals count decisions made by the outage policy.
	PolicyAdmits, PolicyRefusals int64
}

const shards = 64

// Limiter decides requests against distributed token buckets. It is safe for concurrent use
// and starts no goroutines.
type Limiter struct {
	nc     *nats.Conn
	cfg    Config
	tracer trace.Tracer
	seed   maphash.Seed
	epoch  time.Time
	// buckets and quotas hold the per-key leases of Allow and AllowQuota.
	buckets, quotas [shards]shard

	leases, failures, policyAdmits, policyRefusals atomic.Int64
	warned                                         atomic.Int64 // when "too many keys" was last logged
}

type shard struct {
	mu   sync.RWMutex
	keys map[string]*state
}

// state is one key's lease. All fields are guarded by mu.
type state struct {
	mu          sync.Mutex
	tokens      int64
	expires     int64         // monotonic ns: lease tokens are forfeited after this
	denyUntil   int64         // monotonic ns: ratelimit said the bucket is empty until then
	denyCode    string        // wire.CodeThrottled or wire.CodeQuotaExceeded
	want        int64         // quota leases: the next lease size, adapted to demand
	outageUntil int64         // monotonic ns: the policy decides until then
	refill      chan struct{} // non-nil while a lease request is in flight; closed when done
	local       tokenbucket.Bucket
	lastUsed    int64
}

// New returns a Limiter that asks for leases over nc.
func New(nc *nats.Conn, cfg Config) *Limiter {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.RefillWait <= 0 {
		cfg.RefillWait = cfg.Timeout
	}
	if cfg.OutageBackoff <= 0 {
		cfg.OutageBackoff = DefaultOutageBackoff
	}
	if cfg.ClosedCode == "" {
		cfg.ClosedCode = wire.CodeUnavailable
	}
	if cfg.MaxQuotaWant <= 0 {
		cfg.MaxQuotaWant = 100
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Tracer == nil {
		cfg.Tracer = noop.NewTracerProvider()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	l := &Limiter{
		nc:     nc,
		cfg:    cfg,
		tracer: cfg.Tracer.Tracer("github.com/portico/portico/pkg/lease"),
		seed:   maphash.MakeSeed(),
		epoch:  time.Now(),
	}
	for i := range l.buckets {
		l.buckets[i].keys = make(map[string]*state)
		l.quotas[i].keys = make(map[string]*state)
	}
	return l
}

// Stats returns the Limiter's counters.
func (l *Limiter) Stats() Stats {
	return Stats{
		Leases:         l.leases.Load(),
		Failures:       l.failures.Load(),
		PolicyAdmits:   l.policyAdmits.Load(),
		PolicyRefusals: l.policyRefusals.Load(),
	}
}

// now is monotonic nanoseconds since the Limiter was made.
func (l *Limiter) now() int64 { return int64(time.Since(l.epoch)) }

var allowed = Decision{Allowed: true}

// maxRounds bounds how many lease requests one Allow call may wait for or make.
const maxRounds = 3

// limits are what one Allow or AllowQuota call decides against.
type limits struct {
	rate   float64
	burst  int64
	quota  bool
	limit  int64
	period tokenbucket.Period
	offset int
}

// Allow decides one request against the bucket key (rate tokens per second, burst capacity;
// burst < 1 means max(1, ceil(rate))). A rate <= 0 refuses everything, as AWS does. With a
// live lease it takes one per-key mutex and allocates nothing.
func (l *Limiter) Allow(ctx context.Context, key string, rate float64, burst int64) Decision {
	if tokenbucket.CheckTake(key, rate, burst, 1) != nil {
		return Decision{Code: wire.CodeThrottled}
	}
	return l.decide(ctx, &l.buckets, key, limits{rate: rate, burst: burst})
}

// AllowQuota counts one request against a usage-plan quota: limit requests per period (DAY,
// WEEK, MONTH; offset as AWS's QuotaSettings.offset). Refusals carry wire.CodeQuotaExceeded.
// Under FailOpen an unavailable ratelimit admits (no local quota is kept); under FailClosed it
// refuses with Config.ClosedCode. Invalid arguments refuse with wire.CodeQuotaExceeded.
func (l *Limiter) AllowQuota(ctx context.Context, key string, limit int64, period tokenbucket.Period, offset int) Decision {
	if tokenbucket.CheckQuota(key, limit, period, offset, 1) != nil {
		return Decision{Code: wire.CodeQuotaExceeded}
	}
	return l.decide(ctx, &l.quotas, key, limits{quota: true, limit: limit, period: period, offset: offset})
}

// decide spends from key's lease, renewing it when it runs dry.
func (l *Limiter) decide(ctx context.Context, set *[shards]shard, key string, lim limits) Decision {
	st := l.state(set, key)
	if st == nil {
		return Decision{Code: wire.CodeThrottled, RetryAfter: time.Second}
	}
	st.mu.Lock()
	now := l.now()
	st.lastUsed = now
	for round := 0; ; round++ {
		if st.tokens > 0 && now < st.expires {
			st.tokens--
			st.mu.Unlock()
			return allowed
		}
		if now < st.denyUntil {
			d := Decision{Code: st.denyCode, RetryAfter: time.Duration(st.denyUntil - now)}
			st.mu.Unlock()
			return d
		}
		if now < st.outageUntil {
			d := l.policy(st, now, lim)
			st.mu.Unlock()
			return d
		}
		if round == maxRounds { // other callers keep taking what the leases bring
			st.mu.Unlock()
			return Decision{Code: wire.CodeThrottled, RetryAfter: time.Millisecond}
		}
		if ch := st.refill; ch != nil {
			st.mu.Unlock()
			if !l.await(ctx, ch) {
				st.mu.Lock()
				d := l.policy(st, l.now(), lim)
				st.mu.Unlock()
				return d
			}
			st.mu.Lock()
			now = l.now()
			continue
		}
		want := l.want(st, now, lim)
		ch := make(chan struct{})
		st.refill = ch
		st.mu.Unlock()
		g, err := l.request(ctx, key, lim, want)
		st.mu.Lock()
		now = l.now()
		st.refill = nil
		close(ch)
		if err != nil {
			l.failures.Add(1)
			st.outageUntil = now + int64(l.cfg.OutageBackoff)
			d := l.policy(st, now, lim)
			st.mu.Unlock()
			return d
		}
		l.leases.Add(1)
		st.outageUntil = 0
		st.tokens = g.Granted
		st.expires = now + g.ExpiresMillis*int64(time.Millisecond)
		if g.Granted <= 0 {
			st.denyCode = wire.CodeThrottled
			recheck := int64(60_000) // a limit may have been raised: ask again within a minute
			if g.Code == wire.CodeQuotaExceeded {
				st.denyCode = wire.CodeQuotaExceeded
				// a spent quota lasts until its period ends, but update-usage can give some
				// back: ask again within a second
				recheck = quotaRecheckMs
			}
			st.denyUntil = now + min(max(g.RetryAfterMs, 1), recheck)*int64(time.Millisecond)
		}
	}
}

// quotaRecheckMs is how long an edge answers QUOTA_EXCEEDED from memory before asking again.
const quotaRecheckMs = 1000

// want sizes the next lease request. st.mu is held.
func (l *Limiter) want(st *state, now int64, lim limits) int64 {
	if !lim.quota {
		w := tokenbucket.EffectiveBurst(lim.rate, lim.burst)
		if l.cfg.MaxWant > 0 && w > l.cfg.MaxWant {
			w = l.cfg.MaxWant
		}
		return w
	}
	switch {
	case st.want == 0:
		st.want = 1
	case now < st.expires: // the last lease was spent before it expired: demand is higher
		st.want = min(st.want*2, l.cfg.MaxQuotaWant)
	case st.tokens > 0: // it expired with tokens left: demand is lower
		st.want = max(st.want/2, 1)
	}
	return st.want
}

// await waits for an in-flight lease request; false when it takes longer than RefillWait.
func (l *Limiter) await(ctx context.Context, ch chan struct{}) bool {
	t := time.NewTimer(l.cfg.RefillWait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// policy decides while ratelimit is unavailable. st.mu is held.
func (l *Limiter) policy(st *state, now int64, lim limits) Decision {
	if l.cfg.Policy == FailClosed {
		l.policyRefusals.Add(1)
		return Decision{Code: l.cfg.ClosedCode}
	}
	if lim.quota {
		l.policyAdmits.Add(1)
		return allowed
	}
	r := st.local.Take(now/int64(time.Microsecond), lim.rate, lim.burst, 1)
	if r.Granted == 1 {
		l.policyAdmits.Add(1)
		return allowed
	}
	l.policyRefusals.Add(1)
	return Decision{Code: wire.CodeThrottled, RetryAfter: r.RetryAfter}
}

// errUnavailable is a lease request that ratelimit could not serve.
var errUnavailable = errors.New("lease: ratelimit unavailable")

// request asks ratelimit for a lease. The caller's cancellation does not apply (a client going
// away must not look like an outage); its trace context does.
func (l *Limiter) request(ctx context.Context, key string, lim limits, want int64) (wire.LeaseGrant, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.Timeout)
	defer cancel()
	ctx, span := l.tracer.Start(ctx, "ratelimit.lease", trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	req := wire.LeaseRequest{Key: key, Rate: lim.rate, Burst: lim.burst, Want: want, EdgeID: l.cfg.EdgeID}
	if lim.quota {
		req.QuotaLimit, req.QuotaPeriod, req.QuotaOffset = lim.limit, string(lim.period), lim.offset
	}
	data, err := wire.Marshal(req)
	if err != nil {
		return wire.LeaseGrant{}, err
	}
	msg := &nats.Msg{Subject: wire.SubjectRateLimitLease, Data: data}
	telemetry.Inject(ctx, msg)
	reply, err := l.nc.RequestMsgWithContext(ctx, msg)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return wire.LeaseGrant{}, fmt.Errorf("%w: %w", errUnavailable, err)
	}
	var g wire.LeaseGrant
	if err := wire.Unmarshal(reply.Data, &g); err != nil {
		span.SetStatus(codes.Error, "bad reply")
		return wire.LeaseGrant{}, fmt.Errorf("%w: decoding grant: %w", errUnavailable, err)
	}
	span.SetAttributes(attribute.Int64("portico.lease.granted", g.Granted))
	if g.Code != wire.CodeOK && !(g.Code == wire.CodeQuotaExceeded && g.Granted == 0) {
		span.SetStatus(codes.Error, g.Code)
		return wire.LeaseGrant{}, fmt.Errorf("%w: code %s", errUnavailable, g.Code)
	}
	return g, nil
}

// state returns key's state, creating it if needed; nil when MaxKeys are live.
func (l *Limiter) state(set *[shards]shard, key string) *state {
	sh := &set[maphash.String(l.seed, key)%shards]
	sh.mu.RLock()
	st := sh.keys[key]
	sh.mu.RUnlock()
	if st != nil {
		return st
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if st = sh.keys[key]; st != nil {
		return st
	}
	if len(sh.keys) >= l.cfg.MaxKeys/shards+1 {
		l.sweep(sh)
		if len(sh.keys) >= l.cfg.MaxKeys/shards+1 {
			if now := l.now(); l.warned.Load() == 0 || now-l.warned.Load() > int64(10*time.Second) {
				l.warned.Store(now)
				l.cfg.Logger.Warn("lease: too many keys, refusing new keys", "max_keys", l.cfg.MaxKeys)
			}
			return nil
		}
	}
	st = &state{}
	sh.keys[key] = st
	return st
}

// idleFor is how long a key must go unused, with nothing pending, before it may be dropped.
const idleFor = int64(10 * time.Second)

// sweep drops idle keys of sh. sh.mu is held.
func (l *Limiter) sweep(sh *shard) {
	now := l.now()
	for k, st := range sh.keys {
		st.mu.Lock()
		idle := st.refill == nil && now-st.lastUsed > idleFor && now > st.expires &&
			now > st.denyUntil && now > st.outageUntil
		st.mu.Unlock()
		if idle {
			delete(sh.keys, k)
		}
	}
}
