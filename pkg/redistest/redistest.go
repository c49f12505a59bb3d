// Package redistest connects tests to a real Redis: REDIS_URL, else redis://127.0.0.1:6379.
// Under CI=true a Redis that does not answer fails the test; elsewhere it skips with a message
// that says how to get one. Each test gets its own key prefix; nothing is ever flushed.
package redistest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is used when REDIS_URL is unset.
const DefaultURL = "redis://127.0.0.1:6379"

// URL returns the Redis URL tests use.
func URL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

var seq atomic.Int64

// Client returns a client for the test's Redis and a key prefix unique to this test. Keys
// under the prefix are deleted when the test ends.
func Client(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	opts, err := redis.ParseURL(URL())
	if err != nil {
		t.Fatalf("redistest: REDIS_URL %q: %v", URL(), err)
	}
	c := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		msg := fmt.Sprintf("redistest: no Redis at %s (%v); start one with `redis-server --port 6379 --save ''` or set REDIS_URL", URL(), err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	prefix := fmt.Sprintf("test:%s:%d:%d:", name, os.Getpid(), seq.Add(1))
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		c.Close()
	})
	return c, prefix
}
