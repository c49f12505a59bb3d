package ratelimit

import (
	"testing"
	"time"

	"github.com/portico/portico/pkg/lease"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/redistest"
	"github.com/portico/portico/pkg/wire"
)

// TestUsageOverTheBus: get-usage and update-usage through ratelimit, against real Redis and
// the memory store: an edge's quota spending shows up, and a set usage is what the next read
// (and the next quota lease) sees.
func TestUsageOverTheBus(t *testing.T) {
	_, prefix := redistest.Client(t)
	for name, url := range map[string]string{"memory": "", "redis": redistest.URL()} {
		t.Run(name, func(t *testing.T) {
			ns := natstest.Start(t)
			cfg := DefaultConfig()
			cfg.RedisURL, cfg.KeyPrefix, cfg.RedisTimeout = url, prefix+name+":", 2*time.Second
			startService(t, ns, cfg, nil)
			nc := natstest.Connect(t, ns)
			ask := func(req wire.UsageRequest) wire.UsageReply {
				t.Helper()
				b, _ := wire.Marshal(req)
				m, err := nc.Request(wire.SubjectRateLimitUsage, b, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				var r wire.UsageReply
				if err := wire.Unmarshal(m.Data, &r); err != nil {
					t.Fatal(err)
				}
				return r
			}
			key := wire.QuotaKey("plan", "key")
			if r := ask(wire.UsageRequest{Key: key, Period: "DAY"}); r.Used != 0 || r.Code != "" {
				t.Errorf("fresh usage = %+v", r)
			}
			lim := newLimiter(t, ns, lease.DefaultConfig())
			for range 3 {
				if d := lim.AllowQuota(t.Context(), key, 100, "DAY", 0); !d.Allowed {
					t.Fatalf("AllowQuota = %+v", d)
				}
			}
			if r := ask(wire.UsageRequest{Key: key, Period: "DAY"}); r.Used < 3 {
				t.Errorf("usage after 3 requests = %+v, want at least 3 (leased tokens count)", r)
			}
			today := time.Now().UTC().Unix() / 86400
			if r := ask(wire.UsageRequest{Key: key, Period: "DAY", FromDay: today - 1, ToDay: today}); len(r.Days) != 2 || r.Days[0] != 0 || r.Days[1] < 3 {
				t.Errorf("daily usage = %+v, want [0 ≥3]", r)
			}
			set := int64(42)
			if r := ask(wire.UsageRequest{Key: key, Period: "DAY", Set: &set}); r.Used != 42 || r.Code != "" {
				t.Errorf("set usage 42 = %+v", r)
			}
			if r := ask(wire.UsageRequest{Key: key, Period: "YEAR"}); r.Code != wire.CodeBadRequest {
				t.Errorf("bad period = %+v, want BadRequest", r)
			}
		})
	}
}
