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
