package admin

import (
	"math"
	"net/http"
	"sync"
	"time"
)

// requestLimiter is the control plane's own throttle, a token bucket for the whole API like
// AWS's account-level control-plane limits: a client over it gets 429 TooManyRequestsException
// (the AWS SDKs and CLI back off and retry on it).
type requestLimiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second; 0 = unlimited
	burst  float64
	tokens float64
	last   time.Time
}

func newRequestLimiter(rate float64, burst int) *requestLimiter {
	return &requestLimiter{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// allow takes a token; when none is left it says how long until one is.
func (l *requestLimiter) allow(now time.Time) (bool, time.Duration) {
	if l.rate <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() {
		l.tokens = math.Min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return true, 0
	}
	return false, time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
}

// errTooManyRequests is AWS's control-plane throttling error.
var errTooManyRequests = &apiError{http.StatusTooManyRequests, "TooManyRequestsException", "Too Many Requests"}
