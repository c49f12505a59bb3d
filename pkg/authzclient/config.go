package authzclient

import (
	"errors"
	"fmt"
	"time"
)

// Config bounds the client's cache and its requests to authz.
type Config struct {
	// Timeout bounds one request to authz (a cache miss).
	Timeout time.Duration `yaml:"timeout"`
	// MaxEntries bounds the number of cached decisions.
	MaxEntries int `yaml:"max_entries"`
	// MaxTTL caps how long an allow is cached, whatever TTL authz asks for.
	MaxTTL time.Duration `yaml:"max_ttl"`
	// DenyTTL caps how long a denial is cached (shorter than allows, so a key created after
	// a refusal works soon even if its invalidation is lost).
	DenyTTL time.Duration `yaml:"deny_ttl"`
	// MaxReplyBytes bounds the size of a decision authz may send.
	MaxReplyBytes int `yaml:"max_reply_bytes"`
}

// DefaultConfig returns the defaults: 2 s timeout, 100k entries, allows capped at 1 h,
// denials at 5 s, replies up to 64 KiB.
func DefaultConfig() Config {
	return Config{
		Timeout:       2 * time.Second,
		MaxEntries:    100_000,
		MaxTTL:        time.Hour,
		DenyTTL:       5 * time.Second,
		MaxReplyBytes: 64 << 10,
	}
}

// Validate reports every problem of c.
func (c Config) Validate() error {
	var errs []error
	if c.Timeout <= 0 || c.Timeout > time.Minute {
		errs = append(errs, fmt.Errorf("timeout %v: must be in (0, 1m]", c.Timeout))
	}
	if c.MaxEntries <= 0 || c.MaxEntries > 100_000_000 {
		errs = append(errs, fmt.Errorf("max_entries %d: must be in [1, 100000000]", c.MaxEntries))
	}
	if c.MaxTTL < 0 || c.MaxTTL > 24*time.Hour {
		errs = append(errs, fmt.Errorf("max_ttl %v: must be in [0, 24h]", c.MaxTTL))
	}
	if c.DenyTTL < 0 || c.DenyTTL > c.MaxTTL {
		errs = append(errs, fmt.Errorf("deny_ttl %v: must be in [0, max_ttl]", c.DenyTTL))
	}
	if c.MaxReplyBytes <= 0 || c.MaxReplyBytes > 8<<20 {
		errs = append(errs, fmt.Errorf("max_reply_bytes %d: must be in [1, 8388608]", c.MaxReplyBytes))
	}
	return errors.Join(errs...)
}
