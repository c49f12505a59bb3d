package authz

import (
	"errors"
	"fmt"
	"strings"
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

	// JWT authorizers.
	JWT JWTConfig `yaml:"jwt"`
	// Custom (Lambda-style) authorizers.
	Custom CustomConfig `yaml:"custom"`

	// AdminAccessKeyID and AdminSecretAccessKey are the admin credentials: as the account
	// root they pass every IAM (SigV4) check. Empty: no root credentials.
	AdminAccessKeyID     string `yaml:"admin_access_key_id"`
	AdminSecretAccessKey string `yaml:"admin_secret_access_key"`
	// AccountID is the account of the ARNs authz makes (root, users without a UserARN).
	AccountID string `yaml:"account_id"`
	// MaxIAMUsers bounds the in-memory index of IAM credential records.
	MaxIAMUsers int `yaml:"max_iam_users"`
}

// CustomConfig bounds the calls to custom authorizer functions.
type CustomConfig struct {
	// Timeout bounds one call (AWS: 10 s, then AUTHORIZER_FAILURE).
	Timeout time.Duration `yaml:"timeout"`
	// MaxReplyBytes bounds a function's answer.
	MaxReplyBytes int `yaml:"max_reply_bytes"`
	// MaxConcurrent bounds calls in flight; beyond it checks run one at a time on the
	// subscription.
	MaxConcurrent int `yaml:"max_concurrent"`
}

// JWTConfig bounds JWT verification and the fetching of issuers' key sets.
type JWTConfig struct {
	// Leeway is the clock skew allowed on exp, nbf and iat.
	Leeway time.Duration `yaml:"leeway"`
	// MaxTokenBytes bounds a token.
	MaxTokenBytes int `yaml:"max_token_bytes"`
	// MaxConcurrent bounds JWT checks in flight (a cold key set means an HTTP fetch); beyond
	// it checks run one at a time on the subscription.
	MaxConcurrent int `yaml:"max_concurrent"`
	// FetchTimeout bounds one fetch of a key set or discovery document.
	FetchTimeout time.Duration `yaml:"fetch_timeout"`
	// Refresh is how long a key set is used before it is fetched again.
	Refresh time.Duration `yaml:"refresh"`
	// MinRefresh is how often, at most, a token with an unknown kid refetches a key set.
	MinRefresh time.Duration `yaml:"min_refresh"`
	// MaxDocumentBytes bounds a key set or discovery document.
	MaxDocumentBytes int64 `yaml:"max_document_bytes"`
	// MaxIssuers bounds the key sets and issuers kept.
	MaxIssuers int `yaml:"max_issuers"`
	// AllowHTTP accepts http:// issuers and key sets (tests, a loopback identity provider).
	AllowHTTP bool `yaml:"allow_http"`
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
		MaxRequestBytes: 64 << 10, // custom authorizer requests carry the request headers
		SyncTimeout:     30 * time.Second,
		DrainTimeout:    5 * time.Second,
		JWT: JWTConfig{
			Leeway:           30 * time.Second,
			MaxTokenBytes:    8 << 10,
			MaxConcurrent:    64,
			FetchTimeout:     5 * time.Second,
			Refresh:          10 * time.Minute,
			MinRefresh:       30 * time.Second,
			MaxDocumentBytes: 1 << 20,
			MaxIssuers:       1000,
		},
		Custom: CustomConfig{
			Timeout:       10 * time.Second,
			MaxReplyBytes: 32 << 10,
			MaxConcurrent: 256,
		},
		AccountID:   "000000000000",
		MaxIAMUsers: 100_000,
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
	j := c.JWT
	if j.Leeway < 0 || j.Leeway > 5*time.Minute {
		errs = append(errs, fmt.Errorf("jwt.leeway %v: must be in [0, 5m]", j.Leeway))
	}
	if j.MaxTokenBytes < 256 || j.MaxTokenBytes > c.MaxRequestBytes {
		errs = append(errs, fmt.Errorf("jwt.max_token_bytes %d: must be in [256, max_request_bytes]", j.MaxTokenBytes))
	}
	if j.MaxConcurrent < 1 || j.MaxConcurrent > 10_000 {
		errs = append(errs, fmt.Errorf("jwt.max_concurrent %d: must be in [1, 10000]", j.MaxConcurrent))
	}
	if j.FetchTimeout <= 0 || j.FetchTimeout > time.Minute {
		errs = append(errs, fmt.Errorf("jwt.fetch_timeout %v: must be in (0, 1m]", j.FetchTimeout))
	}
	if j.Refresh < time.Second || j.Refresh > 24*time.Hour {
		errs = append(errs, fmt.Errorf("jwt.refresh %v: must be in [1s, 24h]", j.Refresh))
	}
	if j.MinRefresh < 0 || j.MinRefresh > j.Refresh {
		errs = append(errs, fmt.Errorf("jwt.min_refresh %v: must be in [0, refresh]", j.MinRefresh))
	}
	if j.MaxDocumentBytes < 1<<10 || j.MaxDocumentBytes > 16<<20 {
		errs = append(errs, fmt.Errorf("jwt.max_document_bytes %d: must be in [1024, 16777216]", j.MaxDocumentBytes))
	}
	if j.MaxIssuers < 1 || j.MaxIssuers > 100_000 {
		errs = append(errs, fmt.Errorf("jwt.max_issuers %d: must be in [1, 100000]", j.MaxIssuers))
	}
	cu := c.Custom
	if cu.Timeout <= 0 || cu.Timeout > 30*time.Second {
		errs = append(errs, fmt.Errorf("custom.timeout %v: must be in (0, 30s]", cu.Timeout))
	}
	if cu.MaxReplyBytes < 256 || cu.MaxReplyBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("custom.max_reply_bytes %d: must be in [256, 1048576]", cu.MaxReplyBytes))
	}
	if cu.MaxConcurrent < 1 || cu.MaxConcurrent > 10_000 {
		errs = append(errs, fmt.Errorf("custom.max_concurrent %d: must be in [1, 10000]", cu.MaxConcurrent))
	}
	if (c.AdminAccessKeyID == "") != (c.AdminSecretAccessKey == "") {
		errs = append(errs, errors.New("admin_access_key_id and admin_secret_access_key: set both or neither"))
	}
	if len(c.AccountID) != 12 || strings.Trim(c.AccountID, "0123456789") != "" {
		errs = append(errs, fmt.Errorf("account_id %q: must be 12 digits", c.AccountID))
	}
	if c.MaxIAMUsers < 1 || c.MaxIAMUsers > 10_000_000 {
		errs = append(errs, fmt.Errorf("max_iam_users %d: must be in [1, 10000000]", c.MaxIAMUsers))
	}
	return errors.Join(errs...)
}
