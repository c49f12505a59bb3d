package lease

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/tokenbucket"
	"github.com/portico/portico/pkg/wire"
)

func TestQuotaLeasesGrowWithDemand(t *testing.T) {
	ns := natstest.Start(t)
	nc := natstest.Connect(t, ns)
	var requests atomic.Int64
	var bad atomic.Value
	if _, err := nc.Subscribe(wire.SubjectRateLimitLease, func(m *nats.Msg) {
		requests.Add(1)
		var req wire.LeaseRequest
		if err := wire.Unmarshal(m.Data, &req); err != nil || req.QuotaPeriod != "WEEK" || req.QuotaLimit != 1000 || req.QuotaOffset != 2 {
			bad.Store(string(m.Data))
		}
		data, _ := wire.Marshal(wire.LeaseGrant{Granted: req.Want, ExpiresMillis: 60_000})
		_ = m.Respond(data)
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	l := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second, MaxQuotaWant: 64})
	for i := range 100 {
		if d := l.AllowQuota(context.Background(), "plan", 1000, tokenbucket.Week, 2); !d.Allowed {
			t.Fatalf("call %d: AllowQuota = %+v", i, d)
		}
	}
	if v := bad.Load(); v != nil {
		t.Fatalf("quota lease request %s", v)
	}
	// 1+2+4+8+16+32+64 = 127 >= 100: seven leases.
	if got := requests.Load(); got != 7 {
		t.Fatalf("100 calls made %d quota lease requests, want 7 (doubling leases)", got)
	}
}

func TestQuotaExceeded(t *testing.T) {
	ns := natstest.Start(t)
	r := respond(t, ns, wire.LeaseGrant{Code: wire.CodeQuotaExceeded, RetryAfterMs: 3600_000})
	l := New(natstest.Connect(t, ns), Config{Timeout: 5 * time.Second, Policy: FailClosed})
	for i := range 20 {
		d := l.AllowQuota(context.Background(), "plan", 10, tokenbucket.Day, 0)
		if d.Allowed || d.Code != wire.CodeQuotaExceeded || d.RetryAfter <= 0 {
			t.Fatalf("call %d: AllowQuota = %+v, want %s", i, d, wire.CodeQuotaExceeded)
		}
	}
	if got := r.requests.Load(); got != 1 {
		t.Fatalf("%d lease requests, want 1", got)
	}
	if s := l.Stats(); s.Failures != 0 || s.PolicyRefusals != 0 {
		t.Fatalf("stats %+v: an exhausted quota is not an outage", s)
	}
	if d := l.AllowQuota(context.Background(), "plan", 10, tokenbucket.Day, 3); d.Allowed || d.Code != wire.CodeQuotaExceeded {
		t.Fatalf("AllowQuota(DAY, offset 3) = %+v, want refused", d)
	}
}

func TestQuotaOutagePolicy(t *testing.T) {
	ns := natstest.Start(t) // no ratelimit: no responders
	open := New(natstest.Connect(t, ns), Config{})
	closed := New(natstest.Connect(t, ns), Config{Policy: FailClosed})
	for range 5 {
		if d := open.AllowQuota(context.Background(), "plan", 1, tokenbucket.Month, 0); !d.Allowed {
			t.Fatalf("fail-open AllowQuota = %+v, want allowed", d)
		}
		if d := closed.AllowQuota(context.Background(), "plan", 1, tokenbucket.Month, 0); d.Allowed || d.Code != wire.CodeUnavailable {
			t.Fatalf("fail-closed AllowQuota = %+v, want %s", d, wire.CodeUnavailable)
		}
	}
}
