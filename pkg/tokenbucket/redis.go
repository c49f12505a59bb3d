package tokenbucket

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore keeps buckets and quota counters in Redis. Every operation is one Lua script on
// one key (so it works on Redis Cluster too; wrap the key in {braces} to choose its slot), run
// with EVALSHA and falling back to EVAL when Redis answers NOSCRIPT. Time is Redis server time
// (TIME), never the client's clock, so edges with skewed clocks share one bucket correctly.
//
// Keys: prefix+"tb:"+key is a hash {t: tokens, s: last refill in unix µs}, expiring once the
// bucket would be full again; prefix+"q:{key}" is a hash {p: period start in unix s, n: usage},
// expiring a minute after the period ends; prefix+"qd:{key}" holds the usage per UTC day, kept
// 400 days for get-usage (the braces keep both in one Redis Cluster slot).
type RedisStore struct {
	c      redis.UniversalClient
	prefix string
	// nowMicros, when set (tests only), replaces Redis TIME so arithmetic can be checked
	// against fixed instants.
	nowMicros func() int64
}

var (
	_ Store      = (*RedisStore)(nil)
	_ QuotaStore = (*RedisStore)(nil)
)

// NewRedisStore returns a store over c whose keys start with prefix. It does no I/O.
func NewRedisStore(c redis.UniversalClient, prefix string) *RedisStore {
	return &RedisStore{c: c, prefix: prefix}
}

// luaNow reads the clock: ARGV[n] when a test passes one, else Redis TIME in microseconds.
const luaNow = `
local function now_micros(arg)
  if arg ~= nil and arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
`

// takeScript mirrors Bucket.Take expression for expression.
// KEYS[1] bucket; ARGV rate, effective burst, want, now override (empty: TIME).
var takeScript = redis.NewScript(luaNow + `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local now = now_micros(ARGV[4])
local st = redis.call('HMGET', KEYS[1], 't', 's')
local tokens = tonumber(st[1])
local stamp = tonumber(st[2])
if tokens == nil or stamp == nil then
  tokens = burst
  stamp = now
end
if now > stamp then
  tokens = tokens + (now - stamp) * rate / 1e6
  stamp = now
end
if tokens > burst then tokens = burst end
local granted = math.min(want, math.floor(tokens + 1e-9))
tokens = tokens - granted
if tokens < 0 then tokens = 0 end
local remaining = math.floor(tokens + 1e-9)
local retry = 0
if granted < want then
  retry = math.ceil(math.max(1 - tokens, 0) * 1e6 / rate - 1e-6)
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 's', string.format('%.17g', stamp))
local ttl = math.ceil((burst - tokens) * 1000 / rate) + 1000
if ttl > 604800000 then ttl = 604800000 end
redis.call('PEXPIRE', KEYS[1], ttl)
return {granted, remaining, retry}
`)

// luaPeriod computes quota period bounds in UTC from unix seconds, as PeriodBounds does
// (civil-date conversions after H. Hinnant's algorithms).
const luaPeriod = `
local function civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp + 3
  if mp >= 10 then m = mp - 9 end
  if m <= 2 then y = y + 1 end
  return y, m, d
end
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m - 3
  if m <= 2 then mp = m + 9 end
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end
local function period_bounds(secs, period, offset)
  local z = math.floor(secs / 86400)
  if period == 'DAY' then return z * 86400, (z + 1) * 86400 end
  if period == 'WEEK' then
    local back = ((z + 4) % 7 - offset + 7) % 7
    local s = z - back
    return s * 86400, (s + 7) * 86400
  end
  local y, m, d = civil_from_days(z)
  if d < 1 + offset then
    m = m - 1
    if m == 0 then m = 12; y = y - 1 end
  end
  local ey, em = y, m + 1
  if em == 13 then em = 1; ey = ey + 1 end
  return days_from_civil(y, m, 1 + offset) * 86400, days_from_civil(ey, em, 1 + offset) * 86400
end
`

// quotaScript: KEYS[1] counter; ARGV limit, period, offset, want, now override.
var quotaScript = redis.NewScript(luaNow + luaPeriod + `
local limit = tonumber(ARGV[1])
local offset = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local now = now_micros(ARGV[5])
local start, stop = period_bounds(math.floor(now / 1e6), ARGV[2], offset)
local st = redis.call('HMGET', KEYS[1], 'p', 'n')
local used = 0
if tonumber(st[1]) == start then used = tonumber(st[2]) or 0 end
local granted = math.min(want, math.max(limit - used, 0))
used = used + granted
redis.call('HSET', KEYS[1], 'p', string.format('%.17g', start), 'n', string.format('%.17g', used))
redis.call('PEXPIREAT', KEYS[1], stop * 1000 + 60000)
if granted > 0 then
  redis.call('HINCRBY', KEYS[2], tostring(math.floor(now / 86400e6)), granted)
  redis.call('PEXPIRE', KEYS[2], ` + dailyRetentionMs + `)
end
local retry = 0
if granted < want then retry = stop * 1000000 - now end
return {granted, math.max(limit - used, 0), retry}
`)

// usageScript: KEYS[1] counter; ARGV period, offset, now override. Read-only.
var usageScript = redis.NewScript(luaNow + luaPeriod + `
local now = now_micros(ARGV[3])
local start = period_bounds(math.floor(now / 1e6), ARGV[1], tonumber(ARGV[2]))
local st = redis.call('HMGET', KEYS[1], 'p', 'n')
if tonumber(st[1]) == start then return tonumber(st[2]) or 0 end
return 0
`)

// setUsageScript: KEYS[1] counter, KEYS[2] daily counts; ARGV used, period, offset, now
// override. Today's daily count becomes what the period's earlier days do not account for.
var setUsageScript = redis.NewScript(luaNow + luaPeriod + `
local now = now_micros(ARGV[4])
local start, stop = period_bounds(math.floor(now / 1e6), ARGV[2], tonumber(ARGV[3]))
local used = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'p', string.format('%.17g', start), 'n', string.format('%.17g', used))
redis.call('PEXPIREAT', KEYS[1], stop * 1000 + 60000)
local today = math.floor(now / 86400e6)
local earlier = 0
for d = math.floor(start / 86400), today - 1 do
  earlier = earlier + (tonumber(redis.call('HGET', KEYS[2], tostring(d))) or 0)
end
redis.call('HSET', KEYS[2], tostring(today), math.max(used - earlier, 0))
redis.call('PEXPIRE', KEYS[2], ` + dailyRetentionMs + `)
return 1
`)

// dailyScript: KEYS[1] daily counts; ARGV first day, last day (unix days). Read-only.
var dailyScript = redis.NewScript(`
local out = {}
for d = tonumber(ARGV[1]), tonumber(ARGV[2]) do
  out[#out + 1] = tonumber(redis.call('HGET', KEYS[1], tostring(d))) or 0
end
return out
`)

// dailyRetentionMs is how long daily quota counts are kept (get-usage reads up to 366 days).
const dailyRetentionMs = "34560000000" // 400 days

func (s *RedisStore) nowArg() string {
	if s.nowMicros == nil {
		return ""
	}
	return strconv.FormatInt(s.nowMicros(), 10)
}

// Take implements Store.
func (s *RedisStore) Take(ctx context.Context, key string, rate float64, burst, want int64) (Result, error) {
	if err := CheckTake(key, rate, burst, want); err != nil {
		return Result{}, err
	}
	v, err := takeScript.Run(ctx, s.c, []string{s.prefix + "tb:" + key},
		strconv.FormatFloat(rate, 'g', -1, 64), EffectiveBurst(rate, burst), want, s.nowArg()).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("tokenbucket: take: %w", err)
	}
	return result(v)
}

// TakeQuota implements QuotaStore.
func (s *RedisStore) TakeQuota(ctx context.Context, key string, limit int64, period Period, offset int, want int64) (Result, error) {
	if err := CheckQuota(key, limit, period, offset, want); err != nil {
		return Result{}, err
	}
	v, err := quotaScript.Run(ctx, s.c, []string{s.prefix + "q:{" + key + "}", s.prefix + "qd:{" + key + "}"},
		limit, string(period), offset, want, s.nowArg()).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("tokenbucket: take quota: %w", err)
	}
	return result(v)
}

// Usage implements QuotaStore.
func (s *RedisStore) Usage(ctx context.Context, key string, period Period, offset int) (int64, error) {
	if err := CheckQuota(key, 0, period, offset, 0); err != nil {
		return 0, err
	}
	n, err := usageScript.Run(ctx, s.c, []string{s.prefix + "q:{" + key + "}"}, string(period), offset, s.nowArg()).Int64()
	if err != nil {
		return 0, fmt.Errorf("tokenbucket: usage: %w", err)
	}
	return n, nil
}

// SetUsage implements QuotaStore.
func (s *RedisStore) SetUsage(ctx context.Context, key string, period Period, offset int, used int64) error {
	if err := CheckQuota(key, 0, period, offset, 0); err != nil {
		return err
	}
	if used < 0 {
		return fmt.Errorf("%w: usage %d is negative", ErrInvalid, used)
	}
	if err := setUsageScript.Run(ctx, s.c, []string{s.prefix + "q:{" + key + "}", s.prefix + "qd:{" + key + "}"}, used, string(period), offset, s.nowArg()).Err(); err != nil {
		return fmt.Errorf("tokenbucket: set usage: %w", err)
	}
	return nil
}

// DailyUsage implements QuotaStore.
func (s *RedisStore) DailyUsage(ctx context.Context, key string, fromDay, toDay int64) ([]int64, error) {
	if err := checkDays(key, fromDay, toDay); err != nil {
		return nil, err
	}
	v, err := dailyScript.Run(ctx, s.c, []string{s.prefix + "qd:{" + key + "}"}, fromDay, toDay).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("tokenbucket: daily usage: %w", err)
	}
	return v, nil
}

func result(v []int64) (Result, error) {
	if len(v) != 3 {
		return Result{}, fmt.Errorf("tokenbucket: script returned %d values, want 3", len(v))
	}
	return Result{Granted: v[0], Remaining: v[1], RetryAfter: time.Duration(v[2]) * time.Microsecond}, nil
}
