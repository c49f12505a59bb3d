package main

import (
	"math"
	"math/bits"
	"time"
)

// A histogram of latencies in nanoseconds with log-linear buckets: exact below 128 ns, then 64
// buckets per power of two (about 1.6% relative error), bounded at maxLatency. Its memory is
// fixed (histBuckets counters) whatever the request count.
const (
	subBits     = 7
	subCount    = 1 << subBits
	halfCount   = subCount / 2
	maxLatency  = uint64(1 << 40) // ~18 minutes; larger values are clamped
	histBuckets = (40-subBits+1)*halfCount + subCount
)

type histogram struct {
	counts [histBuckets]uint64
	total  uint64
	max    uint64
	sum    uint64
}

func bucketOf(v uint64) int {
	if v >= maxLatency {
		v = maxLatency - 1
	}
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(v) - subBits
	return e*halfCount + int(v>>uint(e))
}

// bucketValue is the midpoint of bucket i.
func bucketValue(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	e := i/halfCount - 1
	m := uint64(i - e*halfCount)
	return m<<uint(e) + (uint64(1)<<uint(e))/2
}

func (h *histogram) record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[bucketOf(v)]++
	h.total++
	h.sum += v
	if v > h.max {
		h.max = v
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the latency at q (0 < q ≤ 1), 0 when the histogram is empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(bucketValue(i), h.max))
		}
	}
	return time.Duration(h.max)
}

func (h *histogram) mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / h.total)
}
