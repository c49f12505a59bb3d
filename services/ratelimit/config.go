package ratelimit

import (
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portico/portico/pkg/wire"
)

// Config configures the ratelimit service.
type Config struct {
	// RedisURL is the store: "redis://[user:pass@]host:port/db" or "rediss://…" (TLS). Empty
	// means an in-memory store (single-process mode only: buckets are not shared).
	RedisURL string `yaml:"redis_url"`
	// RedisAddrs adds nodes to RedisURL's: with RedisMasterName they are Sentinels; without,
	// several addresses make a Redis Cluster client.
	RedisAddrs []string `yaml:"redis_addrs"`
	// RedisMasterName selects Redis Sentinel mode.
	RedisMasterName string `yaml:"redis_master_name"`
	// RedisTimeout bounds each Redis call (dial, read, write, pool wait). Keep it short: a
	// store that does not answer must turn into CodeUnavailable within milliseconds.
	RedisTimeout time.Duration `yaml:"redis_timeout"`
	// KeyPrefix starts every Redis key.
	KeyPrefix string `yaml:"key_prefix"`
	// LeaseWindow sizes leases: one lease is at most rate × LeaseWindow / live edges tokens
	// (and at least 1).
	LeaseWindow time.Duration `yaml:"lease_window"`
	// LeaseTTL is how long an edge may spend a lease's tokens.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// QuotaLeaseTTL is how long an edge may spend a quota lease; MaxQuotaLease caps its size.
	// Unspent quota is not returned: it counts as used.
	QuotaLeaseTTL time.Duration `yaml:"quota_lease_ttl"`
	MaxQuotaLease int64         `yaml:"max_quota_lease"`
	// EdgeTimeout is how long an edge counts as live after its last heartbeat or request.
	EdgeTimeout time.Duration `yaml:"edge_timeout"`
	// MaxEdges bounds the edges tracked.
	MaxEdges int `yaml:"max_edges"`
	// Workers is how many lease requests are served at once; QueueLength bounds those
	// waiting (beyond it NATS drops them and edges apply their outage policy).
	Workers     int `yaml:"workers"`
	QueueLength int `yaml:"queue_length"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		RedisTimeout:  20 * time.Millisecond,
		KeyPrefix:     "portico:rl:",
		LeaseWindow:   100 * time.Millisecond,
		LeaseTTL:      200 * time.Millisecond,
		QuotaLeaseTTL: time.Second,
		MaxQuotaLease: 100,
		EdgeTimeout:   wire.HeartbeatTimeout,
		MaxEdges:      10000,
		Workers:       16,
		QueueLength:   4096,
	}
}

// Validate reports every problem in c.
func (c Config) Validate() error {
	var errs []error
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			errs = append(errs, fmt.Errorf("redis_url: %w", err))
		}
	} else if len(c.RedisAddrs) > 0 || c.RedisMasterName != "" {
		errs = append(errs, errors.New("redis_addrs and redis_master_name need redis_url"))
	}
	if c.RedisTimeout <= 0 || c.RedisTimeout > 10*time.Second {
		errs = append(errs, fmt.Errorf("redis_timeout %v not in (0, 10s]", c.RedisTimeout))
	}
	if len(c.KeyPrefix) > 256 {
		errs = append(errs, fmt.Errorf("key_prefix longer than 256 bytes"))
	}
	if c.LeaseWindow <= 0 || c.LeaseWindow > time.Minute {
		errs = append(errs, fmt.Errorf("lease_window %v not in (0, 1m]", c.LeaseWindow))
	}
	if c.LeaseTTL < time.Millisecond || c.LeaseTTL > time.Minute {
		errs = append(errs, fmt.Errorf("lease_ttl %v not in [1ms, 1m]", c.LeaseTTL))
	}
	if c.QuotaLeaseTTL < time.Millisecond || c.QuotaLeaseTTL > time.Hour {
		errs = append(errs, fmt.Errorf("quota_lease_ttl %v not in [1ms, 1h]", c.QuotaLeaseTTL))
	}
	if c.MaxQuotaLease < 1 || c.MaxQuotaLease > 1000000 {
		errs = append(errs, fmt.Errorf("max_quota_lease %d not in [1, 1000000]", c.MaxQuotaLease))
	}
	if c.EdgeTimeout <= 0 || c.EdgeTimeout > time.Hour {
		errs = append(errs, fmt.Errorf("edge_timeout %v not in (0, 1h]", c.EdgeTimeout))
	}
	if c.MaxEdges < 1 || c.MaxEdges > 1000000 {
		errs = append(errs, fmt.Errorf("max_edges %d not in [1, 1000000]", c.MaxEdges))
	}
	if c.Workers < 1 || c.Workers > 4096 {
		errs = append(errs, fmt.Errorf("workers %d not in [1, 4096]", c.Workers))
	}
	if c.QueueLength < 1 || c.QueueLength > 1<<20 {
		errs = append(errs, fmt.Errorf("queue_length %d not in [1, %d]", c.QueueLength, 1<<20))
	}
	return errors.Join(errs...)
}

// redisOptions turns the Redis settings into client options (no I/O).
func (c Config) redisOptions() (*redis.UniversalOptions, error) {
	o, err := redis.ParseURL(c.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("redis_url: %w", err)
	}
	return &redis.UniversalOptions{
		Addrs:                 append([]string{o.Addr}, c.RedisAddrs...),
		MasterName:            c.RedisMasterName,
		DB:                    o.DB,
		Username:              o.Username,
		Password:              o.Password,
		TLSConfig:             o.TLSConfig,
		DialTimeout:           c.RedisTimeout,
		ReadTimeout:           c.RedisTimeout,
		WriteTimeout:          c.RedisTimeout,
		PoolTimeout:           c.RedisTimeout,
		MaxRetries:            -1, // fail fast: the edge's policy handles outages
		PoolSize:              c.Workers,
		MinIdleConns:          0,
		ContextTimeoutEnabled: true,
	}, nil
}
