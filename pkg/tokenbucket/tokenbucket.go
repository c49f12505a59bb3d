// Package tokenbucket is Portico's token-bucket and quota store: the arithmetic that decides how
// many requests a key may make, a Redis implementation (one Lua script per operation, Redis server
// time, safe on a single node, Sentinel or Cluster) and an in-memory one for single-process mode.
//
// A bucket holds up to burst tokens and refills continuously at rate tokens per second. Take
// removes up to want tokens at once (partial grants are allowed). Tokens are kept as float64 with
// sub-token precision, so a 1 rps bucket refills exactly one token per second, not one per
// rounding step. The Go arithmetic (Bucket) and the Lua script are the same expressions in the
// same order, so both stores give identical answers for identical inputs (tested).
package tokenbucket

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Store takes tokens from named token buckets.
type Store interface {
	// Take atomically removes up to want tokens from the bucket key, which refills at rate
	// tokens per second up to burst tokens (burst < 1 means max(1, ceil(rate))). A bucket not
	// seen before starts full.
	Take(ctx context.Context, key string, rate float64, burst int64, want int64) (Result, error)
}

// Result is the outcome of a Take or TakeQuota.
type Result struct {
	// Granted is how many tokens were taken, 0 <= Granted <= want.
	Granted int64
	// Remaining is how many whole tokens are left after the take.
	Remaining int64
	// RetryAfter is zero when the whole want was granted; otherwise the time until one more
	// token is available (for a quota: until the period ends).
	RetryAfter time.Duration
}

// Bounds on arguments: every store refuses values past these with ErrInvalid.
const (
	MaxRate      = 1e9
	MaxBurst     = int64(1) << 40
	MaxKeyLength = 1024
	// maxIdleTTL bounds how long an idle bucket is kept (a bucket that would take longer than
	// this to refill completely is dropped earlier and starts full again).
	maxIdleTTL = 7 * 24 * time.Hour
)

// ErrInvalid is returned (wrapped) for arguments out of range.
var ErrInvalid = errors.New("tokenbucket: invalid argument")

// ErrTooManyKeys is returned by MemoryStore when it holds its maximum number of live keys.
var ErrTooManyKeys = errors.New("tokenbucket: too many keys")

// EffectiveBurst is the capacity of a bucket given rate and burst: burst, or max(1, ceil(rate))
// when burst < 1.
func EffectiveBurst(rate float64, burst int64) int64 {
	if burst >= 1 {
		return burst
	}
	c := math.Ceil(rate)
	if c < 1 || math.IsNaN(c) {
		return 1
	}
	if c > float64(MaxBurst) {
		return MaxBurst
	}
	return int64(c)
}

// CheckTake validates the arguments of Take.
func CheckTake(key string, rate float64, burst, want int64) error {
	var errs []error
	if key == "" || len(key) > MaxKeyLength {
		errs = append(errs, fmt.Errorf("key length %d not in [1,%d]", len(key), MaxKeyLength))
	}
	if !(rate > 0 && rate <= MaxRate) { // also false for NaN
		errs = append(errs, fmt.Errorf("rate %v not in (0,%v]", rate, MaxRate))
	}
	if burst > MaxBurst {
		errs = append(errs, fmt.Errorf("burst %d over %d", burst, MaxBurst))
	}
	if want < 0 || want > MaxBurst {
		errs = append(errs, fmt.Errorf("want %d not in [0,%d]", want, MaxBurst))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// epsilon absorbs float rounding so that, say, 3 s at 1/3 rps yields a whole token.
const epsilon = 1e-9

// Bucket is one token bucket's state, for callers that keep buckets themselves (MemoryStore,
// the edge's local outage limiter). The zero value is a bucket not used yet (it starts full).
// It is not safe for concurrent use.
type Bucket struct {
	tokens float64
	stamp  int64 // unix microseconds of the last refill
	used   bool
}

// Take removes up to want tokens at time now (unix microseconds). Arguments are not validated:
// rate must be > 0. A clock that goes backwards refills nothing until it passes the last stamp.
func (b *Bucket) Take(now int64, rate float64, burst, want int64) Result {
	capacity := float64(EffectiveBurst(rate, burst))
	if !b.used {
		b.tokens, b.stamp, b.used = capacity, now, true
	}
	if now > b.stamp {
		b.tokens += float64(now-b.stamp) * rate / 1e6
		b.stamp = now
	}
	if b.tokens > capacity {
		b.tokens = capacity
	}
	granted := math.Min(float64(want), math.Floor(b.tokens+epsilon))
	b.tokens -= granted
	if b.tokens < 0 {
		b.tokens = 0
	}
	r := Result{Granted: int64(granted), Remaining: int64(math.Floor(b.tokens + epsilon))}
	if r.Granted < want {
		need := math.Max(1-b.tokens, 0)
		r.RetryAfter = time.Duration(math.Ceil(need*1e6/rate-1e-6)) * time.Microsecond
	}
	return r
}

// idleAt is the unix microsecond at which the bucket is full again, after which forgetting it
// changes nothing.
func (b *Bucket) idleAt(rate float64, burst int64) int64 {
	missing := float64(EffectiveBurst(rate, burst)) - b.tokens
	d := math.Ceil(missing*1e6/rate) + 1e6
	if d > float64(maxIdleTTL/time.Microsecond) {
		d = float64(maxIdleTTL / time.Microsecond)
	}
	return b.stamp + int64(d)
}
