package tokenbucket

import (
	"context"
	"testing"
	"time"

	"github.com/portico/portico/pkg/redistest"
)

// TestSetUsage: update-usage sets a key's usage in the current period; the quota then admits
// only what is left, on both stores.
func TestSetUsage(t *testing.T) {
	rc, prefix := redistest.Client(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	stores := map[string]QuotaStore{
		"memory": NewMemoryStore(WithClock(func() time.Time { return now })),
		"redis":  NewRedisStore(rc, prefix),
	}
	for name, qs := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := qs.TakeQuota(ctx, "k", 10, Day, 0, 4); err != nil {
				t.Fatal(err)
			}
			if err := qs.SetUsage(ctx, "k", Day, 0, 8); err != nil {
				t.Fatal(err)
			}
			if n, err := qs.Usage(ctx, "k", Day, 0); err != nil || n != 8 {
				t.Fatalf("Usage after SetUsage(8) = %d, %v", n, err)
			}
			r, err := qs.TakeQuota(ctx, "k", 10, Day, 0, 5)
			if err != nil || r.Granted != 2 || r.Remaining != 0 {
				t.Errorf("TakeQuota(5) after usage 8 of 10 = %+v, %v; want 2 granted, 0 remaining", r, err)
			}
			if err := qs.SetUsage(ctx, "k", Day, 0, -1); err == nil {
				t.Error("SetUsage(-1) accepted")
			}
		})
	}
}

// TestDailyUsage: quota use is kept per UTC day for get-usage, on both stores; update-usage
// makes today's count what the period's earlier days do not account for.
func TestDailyUsage(t *testing.T) {
	clk := newFakeClock(time.Date(2034, 5, 17, 10, 0, 0, 0, time.UTC)) // a Wednesday
	for name, s := range stores(t, clk) {
		t.Run(name, func(t *testing.T) {
			clk.us.Store(time.Date(2034, 5, 17, 10, 0, 0, 0, time.UTC).UnixMicro())
			qs := s.(QuotaStore)
			ctx := context.Background()
			day1 := time.Date(2034, 5, 17, 0, 0, 0, 0, time.UTC).Unix() / 86400
			if _, err := qs.TakeQuota(ctx, "d", 100, Week, 0, 4); err != nil {
				t.Fatal(err)
			}
			clk.advance(24 * time.Hour)
			if _, err := qs.TakeQuota(ctx, "d", 100, Week, 0, 2); err != nil {
				t.Fatal(err)
			}
			got, err := qs.DailyUsage(ctx, "d", day1-1, day1+2)
			if err != nil || len(got) != 4 || got[0] != 0 || got[1] != 4 || got[2] != 2 || got[3] != 0 {
				t.Fatalf("DailyUsage = %v, %v; want [0 4 2 0]", got, err)
			}
			// the week's usage set to 10: today carries 10 - 4
			if err := qs.SetUsage(ctx, "d", Week, 0, 10); err != nil {
				t.Fatal(err)
			}
			got, _ = qs.DailyUsage(ctx, "d", day1, day1+1)
			if got[0] != 4 || got[1] != 6 {
				t.Errorf("DailyUsage after SetUsage(10) = %v, want [4 6]", got)
			}
			if _, err := qs.DailyUsage(ctx, "d", day1, day1-1); err == nil {
				t.Error("an inverted day range was accepted")
			}
		})
	}
}
