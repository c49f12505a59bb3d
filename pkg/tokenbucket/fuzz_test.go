package tokenbucket

import (
	"context"
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// FuzzTake replays operations decoded from the input against a MemoryStore and checks the
// invariants every store must keep.
func FuzzTake(f *testing.F) {
	f.Add(uint16(1000), int16(20), []byte{5, 0, 1, 0, 1, 200, 3, 10})
	f.Add(uint16(1), int16(0), []byte{1, 0, 1, 0, 2, 255})
	f.Add(uint16(65535), int16(-3), []byte{255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, rateMilli uint16, burst16 int16, ops []byte) {
		if rateMilli == 0 || len(ops) > 512 {
			return
		}
		rate := float64(rateMilli) / 1000 * 10 // 0.01 .. 655 tokens/s
		burst := int64(burst16)
		capacity := EffectiveBurst(rate, burst)
		clk := newFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		m := NewMemoryStore(WithClock(clk.time))
		var total int64
		var elapsed time.Duration
		for len(ops) >= 2 {
			want := int64(ops[0])
			step := time.Duration(binary.LittleEndian.Uint16(ops[:2])>>8) * 7 * time.Millisecond
			ops = ops[2:]
			clk.advance(step)
			elapsed += step
			r, err := m.Take(context.Background(), "k", rate, burst, want)
			if err != nil {
				t.Fatalf("Take: %v", err)
			}
			if r.Granted < 0 || r.Granted > want || r.Granted > capacity {
				t.Fatalf("granted %d, want %d, capacity %d", r.Granted, want, capacity)
			}
			if r.Remaining < 0 || r.Remaining > capacity {
				t.Fatalf("remaining %d outside [0,%d]", r.Remaining, capacity)
			}
			if (r.Granted == want) != (r.RetryAfter == 0) {
				t.Fatalf("retry after %v with granted %d of %d", r.RetryAfter, r.Granted, want)
			}
			if r.Granted < want && r.RetryAfter > time.Duration(math.Ceil(1e6/rate))*time.Microsecond {
				t.Fatalf("retry after %v longer than one token at %v/s", r.RetryAfter, rate)
			}
			total += r.Granted
			if bound := float64(capacity) + rate*elapsed.Seconds() + 1e-6; float64(total) > bound {
				t.Fatalf("granted %d in total, more than burst + rate×elapsed = %v", total, bound)
			}
		}
	})
}

// FuzzPeriodBounds checks that every instant lies in its period and periods start at midnight
// on the right day.
func FuzzPeriodBounds(f *testing.F) {
	f.Add(int64(1764028800), uint8(0), uint8(0))
	f.Add(int64(951782400), uint8(2), uint8(27))
	f.Fuzz(func(t *testing.T, secs int64, p uint8, off uint8) {
		secs = secs % (1 << 36) // years 0..4000 either way
		period := []Period{Day, Week, Month}[p%3]
		now := time.Unix(secs, 0).UTC()
		start, end, err := PeriodBounds(now, period, int(off))
		if err != nil {
			if checkOffset(period, int(off)) == nil {
				t.Fatalf("PeriodBounds(%v, %s, %d): %v", now, period, off, err)
			}
			return
		}
		if now.Before(start) || !now.Before(end) {
			t.Fatalf("PeriodBounds(%v, %s, %d) = [%v, %v), does not hold now", now, period, off, start, end)
		}
		if start.Hour() != 0 || start.Minute() != 0 || start.Second() != 0 {
			t.Fatalf("start %v is not midnight", start)
		}
		switch period {
		case Week:
			if int(start.Weekday()) != int(off) || end.Sub(start) != 7*24*time.Hour {
				t.Fatalf("week [%v, %v) with offset %d", start, end, off)
			}
		case Month:
			if start.Day() != int(off)+1 || end.Day() != int(off)+1 {
				t.Fatalf("month [%v, %v) with offset %d", start, end, off)
			}
		}
	})
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"DAY", "week", "Month", "", "YEAR"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err == nil && checkOffset(p, 0) != nil {
			t.Fatalf("ParsePeriod(%q) = %q, not a valid period", s, p)
		}
	})
}
