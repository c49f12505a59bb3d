package ratelimit

import (
	"sync"
	"time"
)

// edges counts live edges: those heard from (heartbeat or lease request) within timeout.
type edges struct {
	mu      sync.Mutex
	seen    map[string]time.Time
	timeout time.Duration
	max     int
	now     func() time.Time
	// count caches live() for a short while: lease requests ask for it on every call.
	count   int
	countAt time.Time
}

// recount is how long live() may answer from its cache.
const recount = 100 * time.Millisecond

func newEdges(timeout time.Duration, maxEdges int) *edges {
	return &edges{seen: make(map[string]time.Time), timeout: timeout, max: maxEdges, now: time.Now}
}

// touch records that id is alive.
func (e *edges) touch(id string) {
	if id == "" || len(id) > 256 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if _, ok := e.seen[id]; !ok && len(e.seen) >= e.max {
		e.expire(now)
		if len(e.seen) >= e.max {
			return
		}
	}
	e.seen[id] = now
}

// live returns how many edges are live, at least 1.
func (e *edges) live() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if now.Sub(e.countAt) > recount || now.Before(e.countAt) {
		e.expire(now)
		e.count, e.countAt = max(len(e.seen), 1), now
	}
	return e.count
}

func (e *edges) expire(now time.Time) {
	for id, t := range e.seen {
		if now.Sub(t) > e.timeout {
			delete(e.seen, id)
		}
	}
}
