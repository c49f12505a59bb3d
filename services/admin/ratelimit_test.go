package admin

import (
	"net/http"
	"testing"
	"time"
)

// TestThrottledControlPlane: over its rate, admin answers AWS's 429 TooManyRequestsException.
func TestThrottledControlPlane(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RateLimit, c.Burst = 0.001, 3 })
	for range 3 {
		e.must(t, http.StatusOK, "GET", "/restapis", nil)
	}
	r := e.do(t, "GET", "/restapis", nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("x-amzn-ErrorType") != "TooManyRequestsException" {
		t.Errorf("fourth request = %d %s %v, want 429 TooManyRequestsException", r.status, r.body, r.header)
	}
}

func TestRequestLimiterRefills(t *testing.T) {
	l := newRequestLimiter(10, 1)
	now := time.Unix(1000, 0)
	if ok, _ := l.allow(now); !ok {
		t.Fatal("first request refused")
	}
	if ok, wait := l.allow(now); ok || wait != 100*time.Millisecond {
		t.Fatalf("second request = %v, wait %v; want refused, 100ms", ok, wait)
	}
	if ok, _ := l.allow(now.Add(100 * time.Millisecond)); !ok {
		t.Fatal("request after the refill refused")
	}
	if ok, _ := newRequestLimiter(0, 0).allow(now); !ok {
		t.Fatal("unlimited limiter refused")
	}
}
