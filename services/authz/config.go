package authz

import (
	"errors"
	"fmt"
	"time"
)

// Config is the authz service's configuration.
type Config struct {
	// ResultTTL is how long an edge may cache an allow (Decision.TTLSeconds).
	ResultTTL time.Duration `yaml:"result_ttl"`
	// DenyTTL is how long an edge may cache a denial.
	DenyTTL time.Duration `yaml:"deny_ttl"`
	// KVReplicas is the replica count of the config bucket when authz creates it.
	KVReplicas int `yaml:"kv_replicas"`
	// MaxAPIKeys bounds the in-memory key index.
	MaxAPIKeys int `yaml:"max_api_keys"`
	// MaxRecordBytes bounds one API key record.
	MaxRecordBytes int `yaml:"max_record_bytes"`
	// MaxRequestBytes bounds one AuthzRequest.
	MaxRequestBytes int `yaml:"max_request_bytes"`
	// SyncTimeout bounds the initial load of the API keys before authz answers checks.
	SyncTimeout time.Duration `yaml:"sync_timeout"`
	// DrainTimeout bounds the drain of in-flight checks on shutdown.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
}

// DefaultConfig returns the defaults: allows cached 300 s (AWS's default authorizer TTL),
// denials 10 s, bucket R1, up to a million keys.
func DefaultConfig() Config {
	return Config{
		ResultTTL:       300 * time.Second,
		DenyTTL:         10 * time.Second,
		KVReplicas:      1,
		MaxAPIKeys:      1_000_000,
		MaxRecordBytes:  64 << 10,
		MaxRequestBytes: 16 << 10,
		SyncTimeout:     30 * time.Second,
		DrainTimeout:    5 * time.Second,
	}
}

// Validate reports every problem of c.
func (c Config) Validate() error {
	var errs []error
	if c.ResultTTL < 0 || c.ResultTTL > time.Hour || c.ResultTTL%time.Second != 0 {
		errs = append(errs, fmt.Errorf("result_ttl %v: must be whole seconds in [0, 1h]", c.ResultTTL))
	}
	if c.DenyTTL < 0 || c.DenyTTL > time.Hour || c.DenyTTL%time.Second != 0 {
		errs = append(errs, fmt.Errorf("deny_ttl %v: must be whole seconds in [0, 1h]", c.DenyTTL))
	}
	if c.KVReplicas < 1 || c.KVReplicas > 5 {
		errs = append(errs, fmt.Errorf("kv_replicas %d: must be in [1, 5]", c.KVReplicas))
	}
	if c.MaxAPIKeys < 1 || c.MaxAPIKeys > 100_000_000 {
		errs = append(errs, fmt.Errorf("max_api_keys %d: must be in [1, 100000000]", c.MaxAPIKeys))
	}
	if c.MaxRecordBytes < 256 || c.MaxRecordBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("max_record_bytes %d: must be in [256, 1048576]", c.MaxRecordBytes))
	}
	if c.MaxRequestBytes < 256 || c.MaxRequestBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("max_request_bytes %d: must be in [256, 1048576]", c.MaxRequestBytes))
	}
	if c.SyncTimeout <= 0 || c.SyncTimeout > 10*time.Minute {
		errs = append(errs, fmt.Errorf("sync_timeout %v: must be in (0, 10m]", c.SyncTimeout))
	}
	if c.DrainTimeout <= 0 || c.DrainTimeout > time.Minute {
		errs = append(errs, fmt.Errorf("drain_timeout %v: must be in (0, 1m]", c.DrainTimeout))
	}
	return errors.Join(errs...)
}
