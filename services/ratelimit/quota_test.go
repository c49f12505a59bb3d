package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/portico/portico/pkg/lease"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/redistest"
	"github.com/portico/portico/pkg/tokenbucket"
	"github.com/portico/portico/pkg/wire"
)

// TestQuotaAcrossEdges: two edges share one usage-plan quota; exactly the limit is admitted,
// the rest is refused as QuotaExceeded, and Redis holds the usage.
func TestQuotaAcrossEdges(t *testing.T) {
	c, prefix := redistest.Client(t)
	ns := natstest.Start(t)
	cfg := DefaultConfig()
	cfg.RedisURL = redistest.URL()
	cfg.KeyPrefix = prefix
	cfg.RedisTimeout = 2 * time.Second
	cfg.QuotaLeaseTTL = time.Minute
	startService(t, ns, cfg, nil)
	a := newLimiter(t, ns, lease.Config{EdgeID: "a", Timeout: 5 * time.Second})
	b := newLimiter(t, ns, lease.Config{EdgeID: "b", Timeout: 5 * time.Second})
	const limit = 25
	admitted, exceeded := 0, 0
	for i := range 100 {
		l := a
		if i%2 == 1 {
			l = b
		}
		d := l.AllowQuota(context.Background(), "usage:key1", limit, tokenbucket.Day, 0)
		switch {
		case d.Allowed:
			admitted++
		case d.Code == wire.CodeQuotaExceeded:
			exceeded++
		default:
			t.Fatalf("call %d: AllowQuota = %+v", i, d)
		}
	}
	if admitted != limit || exceeded != 100-limit {
		t.Fatalf("admitted %d, exceeded %d; want %d and %d", admitted, exceeded, limit, 100-limit)
	}
	used, err := tokenbucket.NewRedisStore(c, prefix).Usage(context.Background(), "usage:key1", tokenbucket.Day, 0)
	if err != nil || used != limit {
		t.Fatalf("Usage = %d, %v; want %d", used, err, limit)
	}
}

func TestQuotaBadRequests(t *testing.T) {
	ns := natstest.Start(t)
	startService(t, ns, DefaultConfig(), nil)
	nc := natstest.Connect(t, ns)
	for _, req := range []wire.LeaseRequest{
		{Key: "k", Want: 1, QuotaLimit: 10, QuotaPeriod: "YEAR"},
		{Key: "k", Want: 1, QuotaLimit: 10, QuotaPeriod: "DAY", QuotaOffset: 1},
		{Key: "", Want: 1, QuotaLimit: 10, QuotaPeriod: "WEEK"},
		{Key: "k", Want: 1, QuotaLimit: -1, QuotaPeriod: "MONTH"},
	} {
		data, _ := wire.Marshal(req)
		reply, err := nc.Request(wire.SubjectRateLimitLease, data, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var g wire.LeaseGrant
		if err := wire.Unmarshal(reply.Data, &g); err != nil || g.Code != wire.CodeBadRequest {
			t.Errorf("request %s: grant %+v (%v), want %s", fmt.Sprint(req), g, err, wire.CodeBadRequest)
		}
	}
}
