package tokenbucket

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Period is a usage-plan quota period, as AWS's QuotaSettings.period.
type Period string

// Quota periods.
const (
	Day   Period = "DAY"
	Week  Period = "WEEK"
	Month Period = "MONTH"
)

// ParsePeriod reads a period name, case-insensitively.
func ParsePeriod(s string) (Period, error) {
	switch p := Period(strings.ToUpper(s)); p {
	case Day, Week, Month:
		return p, nil
	}
	return "", fmt.Errorf("%w: period %q is not DAY, WEEK or MONTH", ErrInvalid, s)
}

// QuotaStore counts usage against a per-period limit.
type QuotaStore interface {
	// TakeQuota atomically adds up to want to the usage of key in the current period and
	// reports how much it added (partial grants allowed). Remaining is limit minus usage;
	// RetryAfter, when not everything was granted, is the time until the period ends.
	TakeQuota(ctx context.Context, key string, limit int64, period Period, offset int, want int64) (Result, error)
	// Usage returns the usage of key in the current period.
	Usage(ctx context.Context, key string, period Period, offset int) (int64, error)
	// SetUsage sets the usage of key in the current period (AWS's update-usage).
	SetUsage(ctx context.Context, key string, period Period, offset int, used int64) error
	// DailyUsage returns how much of key's quota was used on each UTC day from fromDay to
	// toDay (days since the Unix epoch), for get-usage.
	DailyUsage(ctx context.Context, key string, fromDay, toDay int64) ([]int64, error)
}

// MaxUsageDays bounds a DailyUsage range.
const MaxUsageDays = 400

func checkDays(key string, fromDay, toDay int64) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalid)
	}
	if toDay < fromDay || toDay-fromDay >= MaxUsageDays || fromDay < 0 {
		return fmt.Errorf("%w: day range %d..%d", ErrInvalid, fromDay, toDay)
	}
	return nil
}

// CheckQuota validates the arguments of TakeQuota and Usage (limit and want are ignored by
// Usage; pass 0).
func CheckQuota(key string, limit int64, period Period, offset int, want int64) error {
	var errs []error
	if key == "" || len(key) > MaxKeyLength {
		errs = append(errs, fmt.Errorf("key length %d not in [1,%d]", len(key), MaxKeyLength))
	}
	if limit < 0 || limit > MaxBurst {
		errs = append(errs, fmt.Errorf("limit %d not in [0,%d]", limit, MaxBurst))
	}
	if want < 0 || want > MaxBurst {
		errs = append(errs, fmt.Errorf("want %d not in [0,%d]", want, MaxBurst))
	}
	if err := checkOffset(period, offset); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// checkOffset follows AWS: DAY takes offset 0; WEEK 0 (Sunday) to 6 (Saturday); MONTH 0 (the
// 1st) to 27 (the 28th), so that every month has the start day.
func checkOffset(period Period, offset int) error {
	maxOffset := 0
	switch period {
	case Day:
	case Week:
		maxOffset = 6
	case Month:
		maxOffset = 27
	default:
		return fmt.Errorf("period %q is not DAY, WEEK or MONTH", period)
	}
	if offset < 0 || offset > maxOffset {
		return fmt.Errorf("offset %d not in [0,%d] for %s", offset, maxOffset, period)
	}
	return nil
}

// PeriodBounds returns the start and end (exclusive) in UTC of the quota period that contains
// now. A WEEK starts on weekday offset (0 = Sunday) at 00:00 UTC; a MONTH on day 1+offset.
func PeriodBounds(now time.Time, period Period, offset int) (start, end time.Time, err error) {
	if err := checkOffset(period, offset); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch period {
	case Day:
		return day, day.AddDate(0, 0, 1), nil
	case Week:
		back := (int(day.Weekday()) - offset + 7) % 7
		start = day.AddDate(0, 0, -back)
		return start, start.AddDate(0, 0, 7), nil
	default: // Month
		start = time.Date(now.Year(), now.Month(), 1+offset, 0, 0, 0, 0, time.UTC)
		if now.Before(start) {
			start = time.Date(now.Year(), now.Month()-1, 1+offset, 0, 0, 0, 0, time.UTC)
		}
		return start, time.Date(start.Year(), start.Month()+1, 1+offset, 0, 0, 0, 0, time.UTC), nil
	}
}

// quotaCounter is one key's usage in one period.
type quotaCounter struct {
	start int64 // unix seconds of the period start
	end   int64
	used  int64
	daily map[int64]int64 // unix day → usage that day (MemoryStore)
}

// take applies a TakeQuota at time now (unix microseconds) with the period's bounds.
func (q *quotaCounter) take(now int64, start, end time.Time, limit, want int64) Result {
	if q.start != start.Unix() {
		q.start, q.end, q.used = start.Unix(), end.Unix(), 0
	}
	avail := max(limit-q.used, 0)
	granted := min(want, avail)
	q.used += granted
	r := Result{Granted: granted, Remaining: max(limit-q.used, 0)}
	if granted < want {
		r.RetryAfter = time.Duration(q.end*1e6-now) * time.Microsecond
	}
	return r
}
