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
	// CustomTimeout bounds a request guarded by a custom authorizer (authz waits up to its
	// own authorizer timeout, 10 s by default, for the function).
	CustomTimeout time.Duration `yaml:"custom_timeout"`
	// CredentialsTTL is how long an IAM access key's credentials and policies are cached
	// (changes reach the cache at once through invalidations; this bounds a lost one).
	CredentialsTTL time.Duration `yaml:"credentials_ttl"`
	// MaxCredentials bounds the cached IAM access keys.
	MaxCredentials int `yaml:"max_credentials"`
	// SigV4Region, when set, is the only credential-scope region accepted.
	SigV4Region string `yaml:"sigv4_region"`
}

// DefaultConfig returns the defaults: 2 s timeout, 100k entries, allows capped at 1 h,
// denials at 5 s, replies up to 64 KiB.
func DefaultConfig() Config {
	return Config{
		Timeout:        2 * time.Second,
		MaxEntries:     100_000,
		MaxTTL:         time.Hour,
		DenyTTL:        5 * time.Second,
		MaxReplyBytes:  64 << 10,
		CustomTimeout:  12 * time.Second,
		CredentialsTTL: 5 * time.Minute,
		MaxCredentials: 10_000,
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
	if c.CustomTimeout <= 0 || c.CustomTimeout > time.Minute {
		errs = append(errs, fmt.Errorf("custom_timeout %v: must be in (0, 1m]", c.CustomTimeout))
	}
	if c.CredentialsTTL <= 0 || c.CredentialsTTL > 24*time.Hour {
		errs = append(errs, fmt.Errorf("credentials_ttl %v: must be in (0, 24h]", c.CredentialsTTL))
	}
	if c.MaxCredentials <= 0 || c.MaxCredentials > 10_000_000 {
		errs = append(errs, fmt.Errorf("max_credentials %d: must be in [1, 10000000]", c.MaxCredentials))
	}
	return errors.Join(errs...)
}
