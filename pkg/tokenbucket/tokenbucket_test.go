package tokenbucket

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/pkg/redistest"
)

// fakeClock is a settable clock in unix microseconds.
type fakeClock struct{ us atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.us.Store(t.UnixMicro())
	return c
}
func (c *fakeClock) micros() int64           { return c.us.Load() }
func (c *fakeClock) time() time.Time         { return time.UnixMicro(c.us.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.us.Add(int64(d / time.Microsecond)) }

type clockedStore interface {
	Store
	QuotaStore
}

// stores returns a MemoryStore and a RedisStore both reading clk.
func stores(t *testing.T, clk *fakeClock) map[string]clockedStore {
	t.Helper()
	c, prefix := redistest.Client(t)
	rs := NewRedisStore(c, prefix)
	rs.nowMicros = clk.micros
	return map[string]clockedStore{
		"memory": NewMemoryStore(WithClock(clk.time)),
		"redis":  rs,
	}
}

type step struct {
	advance       time.Duration
	want          int64
	granted, left int64
	retry         time.Duration
}

func TestTakeArithmetic(t *testing.T) {
	tests := []struct {
		name  string
		rate  float64
		burst int64
		steps []step
	}{
		{"burst then refill", 10, 5, []step{
			{0, 5, 5, 0, 0},
			{0, 1, 0, 0, 100 * time.Millisecond},
			{100 * time.Millisecond, 1, 1, 0, 0},
			{250 * time.Millisecond, 5, 2, 0, 50 * time.Millisecond},
			{10 * time.Second, 0, 0, 5, 0}, // capped at burst
			{0, 7, 5, 0, 100 * time.Millisecond},
		}},
		{"one rps exact, burst defaults to 1", 1, 0, []step{
			{0, 1, 1, 0, 0},
			{0, 1, 0, 0, time.Second},
			{999 * time.Millisecond, 1, 0, 0, time.Millisecond},
			{time.Millisecond, 1, 1, 0, 0},
			{500 * time.Millisecond, 1, 0, 0, 500 * time.Millisecond},
			{500 * time.Millisecond, 2, 1, 0, time.Second},
		}},
		{"a third of a token per second", 1.0 / 3, 2, []step{
			{0, 2, 2, 0, 0},
			{time.Second, 1, 0, 0, 2 * time.Second},
			{2 * time.Second, 1, 1, 0, 0},
			{6 * time.Second, 3, 2, 0, 3 * time.Second},
		}},
		{"fractional rate burst rounds up", 2.5, -1, []step{
			{0, 10, 3, 0, 400 * time.Millisecond},
			{400 * time.Millisecond, 10, 1, 0, 400 * time.Millisecond},
		}},
		{"clock going backwards refills nothing", 1, 3, []step{
			{0, 3, 3, 0, 0},
			{-5 * time.Second, 1, 0, 0, time.Second},
			{5 * time.Second, 1, 0, 0, time.Second},
			{time.Second, 1, 1, 0, 0},
		}},
		{"many tokens", 100000, 1000000, []step{
			{0, 999999, 999999, 1, 0},
			{10 * time.Millisecond, 2000, 1001, 0, 10 * time.Microsecond},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))
			for name, s := range stores(t, clk) {
				t.Run(name, func(t *testing.T) {
					clk := newFakeClock(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))
					s := rebind(t, s, clk)
					for i, st := range tc.steps {
						clk.advance(st.advance)
						r, err := s.Take(context.Background(), "k", tc.rate, tc.burst, st.want)
						if err != nil {
							t.Fatalf("step %d: Take: %v", i, err)
						}
						want := Result{Granted: st.granted, Remaining: st.left, RetryAfter: st.retry}
						if r != want {
							t.Fatalf("step %d: Take(want %d) = %+v, want %+v", i, st.want, r, want)
						}
					}
				})
			}
		})
	}
}

// rebind makes s read clk (each subtest has its own clock).
func rebind(t *testing.T, s clockedStore, clk *fakeClock) clockedStore {
	t.Helper()
	switch s := s.(type) {
	case *MemoryStore:
		return NewMemoryStore(WithClock(clk.time))
	case *RedisStore:
		c := *s
		c.nowMicros = clk.micros
		c.prefix = s.prefix + t.Name() + ":"
		return &c
	}
	t.Fatalf("unknown store %T", s)
	return nil
}

// TestStoresAgree drives the same random operations into both stores and wants identical
// results: the Lua script and Bucket are the same arithmetic.
func TestStoresAgree(t *testing.T) {
	clk := newFakeClock(time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
	ss := stores(t, clk)
	mem, rds := ss["memory"], ss["redis"]
	rng := rand.New(rand.NewPCG(1, 2))
	rates := []float64{0.1, 1, 3.7, 50, 1000}
	for i := range 400 {
		key := []string{"a", "b", "c"}[rng.IntN(3)]
		rate := rates[rng.IntN(len(rates))]
		burst := int64(rng.IntN(30)) - 2
		want := int64(rng.IntN(8))
		clk.advance(time.Duration(rng.IntN(400000)) * time.Microsecond)
		a, err := mem.Take(context.Background(), key, rate, burst, want)
		if err != nil {
			t.Fatal(err)
		}
		b, err := rds.Take(context.Background(), key, rate, burst, want)
		if err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Fatalf("op %d Take(%q, %v, %d, %d): memory %+v, redis %+v", i, key, rate, burst, want, a, b)
		}
	}
}

func TestRedisKeyExpires(t *testing.T) {
	c, prefix := redistest.Client(t)
	s := NewRedisStore(c, prefix)
	if _, err := s.Take(context.Background(), "idle", 10, 20, 5); err != nil {
		t.Fatal(err)
	}
	ttl, err := c.PTTL(context.Background(), prefix+"tb:idle").Result()
	if err != nil {
		t.Fatal(err)
	}
	// 5 missing tokens at 10/s = 500 ms, plus 1 s of slack.
	if ttl <= 0 || ttl > 1500*time.Millisecond {
		t.Fatalf("PTTL = %v, want in (0, 1.5s]", ttl)
	}
}

func TestInvalidArguments(t *testing.T) {
	clk := newFakeClock(time.Now())
	bad := []struct {
		name  string
		key   string
		rate  float64
		burst int64
		want  int64
	}{
		{"empty key", "", 1, 1, 1},
		{"zero rate", "k", 0, 1, 1},
		{"negative want", "k", 1, 1, -1},
		{"huge burst", "k", 1, MaxBurst + 1, 1},
		{"huge rate", "k", 2e9, 1, 1},
		{"long key", string(make([]byte, MaxKeyLength+1)), 1, 1, 1},
	}
	for name, s := range stores(t, clk) {
		for _, tc := range bad {
			_, err := s.Take(context.Background(), tc.key, tc.rate, tc.burst, tc.want)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s %s: Take error = %v, want ErrInvalid", name, tc.name, err)
			}
		}
		if _, err := s.TakeQuota(context.Background(), "k", 10, Day, 1, 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: TakeQuota(DAY, offset 1) error = %v, want ErrInvalid", name, err)
		}
		if _, err := s.Usage(context.Background(), "k", "YEAR", 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Usage(YEAR) error = %v, want ErrInvalid", name, err)
		}
	}
}

// TestConcurrentFrozenClock: with time standing still, many goroutines together get exactly
// the burst, never more.
func TestConcurrentFrozenClock(t *testing.T) {
	clk := newFakeClock(time.Date(2033, 1, 1, 0, 0, 0, 0, time.UTC))
	for name, s := range stores(t, clk) {
		t.Run(name, func(t *testing.T) {
			const burst = 97
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					for range 20 {
						r, err := s.Take(context.Background(), "hot", 1, burst, 1)
						if err != nil {
							t.Error(err)
							return
						}
						admitted.Add(r.Granted)
					}
				})
			}
			wg.Wait()
			if got := admitted.Load(); got != burst {
				t.Fatalf("admitted %d of 320 attempts, want exactly the burst %d", got, burst)
			}
		})
	}
}

// TestConcurrentRedisTime races many goroutines on one Redis bucket with real server time and
// checks the count against burst + rate × elapsed, elapsed read from Redis TIME around the run.
func TestConcurrentRedisTime(t *testing.T) {
	c, prefix := redistest.Client(t)
	s := NewRedisStore(c, prefix)
	ctx := context.Background()
	const rate, burst = 20.0, 50
	t0, err := c.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	var admitted, calls atomic.Int64
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			for range 60 {
				r, err := s.Take(ctx, "race", rate, burst, 1)
				if err != nil {
					t.Error(err)
					return
				}
				calls.Add(1)
				admitted.Add(r.Granted)
			}
		})
	}
	wg.Wait()
	t1, err := c.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	elapsed := t1.Sub(t0).Seconds()
	max := int64(burst + rate*elapsed)
	got := admitted.Load()
	if got < burst || got > max {
		t.Fatalf("admitted %d of %d in %.3fs (Redis time), want in [%d, %d]", got, calls.Load(), elapsed, burst, max)
	}
}

func TestPeriodBounds(t *testing.T) {
	d := func(y int, m time.Month, day, h int) time.Time { return time.Date(y, m, day, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name       string
		now        time.Time
		period     Period
		offset     int
		start, end time.Time
	}{
		{"day", d(2026, 11, 25, 13), Day, 0, d(2026, 11, 25, 0), d(2026, 11, 26, 0)},
		{"week from sunday", d(2026, 11, 25, 13), Week, 0, d(2026, 11, 22, 0), d(2026, 11, 29, 0)}, // a Wednesday
		{"week from monday", d(2026, 11, 25, 13), Week, 1, d(2026, 11, 23, 0), d(2026, 11, 30, 0)},
		{"week from thursday", d(2026, 11, 25, 13), Week, 4, d(2026, 11, 19, 0), d(2026, 11, 26, 0)},
		{"week starts today", d(2026, 11, 25, 0), Week, 3, d(2026, 11, 25, 0), d(2026, 12, 2, 0)},
		{"month", d(2026, 11, 25, 13), Month, 0, d(2026, 11, 1, 0), d(2026, 12, 1, 0)},
		{"month from the 28th, before it", d(2026, 3, 5, 1), Month, 27, d(2026, 2, 28, 0), d(2026, 3, 28, 0)},
		{"month across the year", d(2027, 1, 10, 1), Month, 14, d(2026, 12, 15, 0), d(2027, 1, 15, 0)},
		{"leap february", d(2028, 2, 29, 23), Month, 0, d(2028, 2, 1, 0), d(2028, 3, 1, 0)},
	}
	for _, tc := range tests {
		start, end, err := PeriodBounds(tc.now, tc.period, tc.offset)
		if err != nil || !start.Equal(tc.start) || !end.Equal(tc.end) {
			t.Errorf("%s: PeriodBounds(%v, %s, %d) = %v, %v, %v; want %v, %v", tc.name, tc.now, tc.period, tc.offset, start, end, err, tc.start, tc.end)
		}
	}
}

// TestRedisPeriodsMatchGo checks the Lua calendar against PeriodBounds at many instants.
func TestRedisPeriodsMatchGo(t *testing.T) {
	clk := newFakeClock(time.Now())
	rs := stores(t, clk)["redis"].(*RedisStore)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	span := int64(70 * 365 * 24 * time.Hour / time.Microsecond)
	cases := []struct {
		p   Period
		max int
	}{{Day, 0}, {Week, 6}, {Month, 27}}
	for i := range 300 {
		now := base + rng.Int64N(span)
		if i%10 == 0 { // land exactly on midnights too
			now -= now % (86400 * 1e6)
		}
		c := cases[i%3]
		off := rng.IntN(c.max + 1)
		clk.us.Store(now)
		start, end, err := PeriodBounds(time.UnixMicro(now), c.p, off)
		if err != nil {
			t.Fatal(err)
		}
		// limit 0: nothing granted, RetryAfter is the time to the period's end.
		r, err := rs.TakeQuota(ctx, "cal", 0, c.p, off, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := time.UnixMicro(now).Add(r.RetryAfter); !got.Equal(end) {
			t.Fatalf("%s offset %d at %v: Redis period end %v, Go %v", c.p, off, time.UnixMicro(now).UTC(), got.UTC(), end)
		}
		// Count one at now, then read it back at the start (same period) and just before it.
		if _, err := rs.TakeQuota(ctx, "cal2", 1e6, c.p, off, 1); err != nil {
			t.Fatal(err)
		}
		clk.us.Store(start.UnixMicro())
		if n, _ := rs.Usage(ctx, "cal2", c.p, off); n < 1 {
			t.Fatalf("%s offset %d at %v: Usage at Go start %v = %d, want >= 1", c.p, off, time.UnixMicro(now).UTC(), start, n)
		}
		clk.us.Store(start.UnixMicro() - 1)
		r2, err := rs.TakeQuota(ctx, "cal3", 0, c.p, off, 1)
		if err != nil {
			t.Fatal(err)
		}
		if r2.RetryAfter != time.Microsecond {
			t.Fatalf("%s offset %d: just before start %v, Redis period ends in %v, want 1µs", c.p, off, start, r2.RetryAfter)
		}
		rs.c.Del(ctx, rs.prefix+"q:{cal2}")
	}
}

func TestQuota(t *testing.T) {
	clk := newFakeClock(time.Date(2034, 5, 17, 10, 0, 0, 0, time.UTC)) // a Wednesday
	for name, s := range stores(t, clk) {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock(time.Date(2034, 5, 17, 10, 0, 0, 0, time.UTC))
			s := rebind(t, s, clk)
			ctx := context.Background()
			take := func(want int64) Result {
				t.Helper()
				r, err := s.TakeQuota(ctx, "plan:key", 3, Week, 1, want)
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			usage := func() int64 {
				t.Helper()
				n, err := s.Usage(ctx, "plan:key", Week, 1)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := usage(); n != 0 {
				t.Fatalf("Usage before any take = %d, want 0", n)
			}
			if r := take(2); r != (Result{Granted: 2, Remaining: 1}) {
				t.Fatalf("TakeQuota(2) = %+v, want 2 granted, 1 left", r)
			}
			// Week from Monday 2034-05-15 to Monday 2034-05-22: 4 days 14 hours left.
			if r := take(2); r != (Result{Granted: 1, Remaining: 0, RetryAfter: 110 * time.Hour}) {
				t.Fatalf("TakeQuota(2) = %+v, want 1 granted, retry after 110h", r)
			}
			if r := take(1); r.Granted != 0 {
				t.Fatalf("TakeQuota over the limit granted %d", r.Granted)
			}
			if n := usage(); n != 3 {
				t.Fatalf("Usage = %d, want 3", n)
			}
			clk.advance(110 * time.Hour) // Monday 00:00: a new week
			if n := usage(); n != 0 {
				t.Fatalf("Usage in the next week = %d, want 0", n)
			}
			if r := take(1); r != (Result{Granted: 1, Remaining: 2}) {
				t.Fatalf("TakeQuota in the next week = %+v, want 1 granted, 2 left", r)
			}
		})
	}
}

func TestMemoryStoreBoundsKeys(t *testing.T) {
	clk := newFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	m := NewMemoryStore(WithClock(clk.time), WithMaxKeys(2))
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		if _, err := m.Take(ctx, k, 10, 10, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Take(ctx, "c", 10, 10, 1); !errors.Is(err, ErrTooManyKeys) {
		t.Fatalf("third key error = %v, want ErrTooManyKeys", err)
	}
	clk.advance(2 * time.Second) // a and b are full again, so they can go
	if _, err := m.Take(ctx, "c", 10, 10, 1); err != nil {
		t.Fatalf("third key after idle: %v", err)
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("Len = %d, want 1 after dropping idle buckets", n)
	}
}
