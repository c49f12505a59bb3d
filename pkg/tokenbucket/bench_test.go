package tokenbucket

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/portico/portico/pkg/redistest"
)

func BenchmarkBucketTake(b *testing.B) {
	var bk Bucket
	now := time.Now().UnixMicro()
	for i := 0; b.Loop(); i++ {
		bk.Take(now+int64(i), 1e6, 1000, 1)
	}
}

func BenchmarkMemoryStoreTake(b *testing.B) {
	m := NewMemoryStore()
	ctx := context.Background()
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := m.Take(ctx, keys[i%len(keys)], 1e6, 1000, 1); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkRedisStoreTake(b *testing.B) {
	c, prefix := redistest.Client(b)
	s := NewRedisStore(c, prefix)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Take(ctx, "bench", 1e6, 1000, 1); err != nil {
			b.Fatal(err)
		}
	}
}
