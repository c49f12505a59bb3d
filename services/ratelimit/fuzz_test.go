package ratelimit

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/wire"
)

// FuzzLease feeds arbitrary request bodies to the lease handler (in-memory store): it never
// panics, answers a known code, and never grants more than the bucket or quota allows.
func FuzzLease(f *testing.F) {
	for _, s := range []string{
		`{"key":"k","rate":10,"burst":5,"want":3}`,
		`{"key":"k","rate":0.5,"burst":0,"want":100,"edgeId":"e"}`,
		`{"key":"q","want":5,"quotaLimit":3,"quotaPeriod":"WEEK","quotaOffset":6}`,
		`{"key":"k","rate":1e308,"burst":-9,"want":-1}`,
		`not json`, `{}`, `null`,
	} {
		f.Add([]byte(s))
	}
	cfg := DefaultConfig()
	svc, err := New(cfg, Deps{Logger: nil, NATS: &nats.Conn{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := svc.lease(context.Background(), data)
		switch g.Code {
		case wire.CodeOK, wire.CodeBadRequest, wire.CodeQuotaExceeded:
		default:
			t.Fatalf("lease(%q) code %q", data, g.Code)
		}
		if g.Granted < 0 || (g.Code != wire.CodeOK && g.Granted != 0) {
			t.Fatalf("lease(%q) = %+v", data, g)
		}
		var req wire.LeaseRequest
		if g.Granted > 0 && wire.Unmarshal(data, &req) == nil {
			if req.QuotaPeriod == "" && g.Granted > max(req.Burst, int64(req.Rate)+1) {
				t.Fatalf("lease(%q) granted %d, more than the bucket holds", data, g.Granted)
			}
			if req.QuotaPeriod != "" && g.Granted > req.QuotaLimit {
				t.Fatalf("lease(%q) granted %d, more than the quota %d", data, g.Granted, req.QuotaLimit)
			}
		}
	})
}
