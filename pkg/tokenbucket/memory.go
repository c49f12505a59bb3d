package tokenbucket

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the live keys a MemoryStore holds.
const DefaultMaxKeys = 1 << 20

// MemoryStore keeps buckets and quota counters in process memory, with the same semantics as
// RedisStore. It is safe for concurrent use. Idle buckets (full again) and counters of past
// periods are dropped when the store reaches its key limit.
type MemoryStore struct {
	mu      sync.Mutex
	buckets map[string]*memBucket
	quotas  map[string]*quotaCounter
	now     func() time.Time
	maxKeys int
}

type memBucket struct {
	b      Bucket
	idleAt int64
}

var (
	_ Store      = (*MemoryStore)(nil)
	_ QuotaStore = (*MemoryStore)(nil)
)

// MemoryOption configures a MemoryStore.
type MemoryOption func(*MemoryStore)

// WithClock makes the store read time from now instead of time.Now (tests).
func WithClock(now func() time.Time) MemoryOption { return func(m *MemoryStore) { m.now = now } }

// WithMaxKeys bounds the number of live buckets plus quota counters (default DefaultMaxKeys).
func WithMaxKeys(n int) MemoryOption {
	return func(m *MemoryStore) {
		if n > 0 {
			m.maxKeys = n
		}
	}
}

// NewMemoryStore returns an empty store.
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	m := &MemoryStore{
		buckets: make(map[string]*memBucket),
		quotas:  make(map[string]*quotaCounter),
		now:     time.Now,
		maxKeys: DefaultMaxKeys,
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Take implements Store.
func (m *MemoryStore) Take(ctx context.Context, key string, rate float64, burst, want int64) (Result, error) {
	if err := CheckTake(key, rate, burst, want); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().UnixMicro()
	mb, ok := m.buckets[key]
	if !ok {
		if err := m.room(now); err != nil {
			return Result{}, err
		}
		mb = &memBucket{}
		m.buckets[key] = mb
	}
	r := mb.b.Take(now, rate, burst, want)
	mb.idleAt = mb.b.idleAt(rate, burst)
	return r, nil
}

// TakeQuota implements QuotaStore.
func (m *MemoryStore) TakeQuota(ctx context.Context, key string, limit int64, period Period, offset int, want int64) (Result, error) {
	if err := CheckQuota(key, limit, period, offset, want); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.now()
	start, end, err := PeriodBounds(t, period, offset)
	if err != nil {
		return Result{}, err
	}
	qc, ok := m.quotas[key]
	if !ok {
		if err := m.room(t.UnixMicro()); err != nil {
			return Result{}, err
		}
		qc = &quotaCounter{}
		m.quotas[key] = qc
	}
	r := qc.take(t.UnixMicro(), start, end, limit, want)
	if r.Granted > 0 {
		if qc.daily == nil {
			qc.daily = map[int64]int64{}
		}
		qc.daily[unixDay(t)] += r.Granted
	}
	return r, nil
}

func unixDay(t time.Time) int64 { return t.Unix() / 86400 }

// DailyUsage implements QuotaStore.
func (m *MemoryStore) DailyUsage(ctx context.Context, key string, fromDay, toDay int64) ([]int64, error) {
	if err := checkDays(key, fromDay, toDay); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]int64, toDay-fromDay+1)
	if qc, ok := m.quotas[key]; ok {
		for i := range out {
			out[i] = qc.daily[fromDay+int64(i)]
		}
	}
	return out, nil
}

// Usage implements QuotaStore.
func (m *MemoryStore) Usage(ctx context.Context, key string, period Period, offset int) (int64, error) {
	if err := CheckQuota(key, 0, period, offset, 0); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	start, _, err := PeriodBounds(m.now(), period, offset)
	if err != nil {
		return 0, err
	}
	if qc, ok := m.quotas[key]; ok && qc.start == start.Unix() {
		return qc.used, nil
	}
	return 0, nil
}

// SetUsage implements QuotaStore.
func (m *MemoryStore) SetUsage(ctx context.Context, key string, period Period, offset int, used int64) error {
	if err := CheckQuota(key, 0, period, offset, 0); err != nil {
		return err
	}
	if used < 0 {
		return fmt.Errorf("%w: usage %d is negative", ErrInvalid, used)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	start, end, err := PeriodBounds(m.now(), period, offset)
	if err != nil {
		return err
	}
	qc, ok := m.quotas[key]
	if !ok {
		if err := m.room(m.now().UnixMicro()); err != nil {
			return err
		}
		qc = &quotaCounter{}
		m.quotas[key] = qc
	}
	qc.start, qc.end, qc.used = start.Unix(), end.Unix(), used
	// today's count becomes what the period's earlier days do not account for
	if qc.daily == nil {
		qc.daily = map[int64]int64{}
	}
	today, earlier := unixDay(m.now()), int64(0)
	for d := start.Unix() / 86400; d < today; d++ {
		earlier += qc.daily[d]
	}
	qc.daily[today] = max(used-earlier, 0)
	return nil
}

// Len returns the number of live buckets and quota counters.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets) + len(m.quotas)
}

// room makes space for one more key, dropping idle ones if the store is full. m.mu is held.
func (m *MemoryStore) room(now int64) error {
	if len(m.buckets)+len(m.quotas) < m.maxKeys {
		return nil
	}
	for k, mb := range m.buckets {
		if mb.idleAt <= now {
			delete(m.buckets, k)
		}
	}
	for k, qc := range m.quotas {
		if qc.end*1e6 <= now {
			delete(m.quotas, k)
		}
	}
	if len(m.buckets)+len(m.quotas) >= m.maxKeys {
		return ErrTooManyKeys
	}
	return nil
}
