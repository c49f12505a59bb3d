// Package admin is Portico's control plane: it speaks AWS API Gateway's REST-JSON control-plane
// protocol (service "apigateway") over net/http, SigV4-authenticated, and keeps API
// definitions, immutable deployments, stages and API keys in the JetStream KV bucket
// wire.ConfigBucket, where the edges watch them.
package admin

import (
	"errors"
	"fmt"
	"net"
	"net/url"
)

// Config configures the admin service.
type Config struct {
	// Addr is the listen address of the control-plane API.
	Addr string `yaml:"addr"`
	// EdgeURL is the public base URL of the edges, shown by GET /portico/info.
	EdgeURL string `yaml:"edge_url"`
	// AccessKeyID and SecretAccessKey are the admin credentials requests must be signed with.
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	// KVReplicas is the replica count of the config bucket when admin creates it.
	KVReplicas int `yaml:"kv_replicas"`
	// MaxBodyBytes bounds a request body (an imported document included).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// RateLimit and Burst throttle the control plane as a whole (requests/s; 0 = unlimited):
	// over it, 429 TooManyRequestsException.
	RateLimit float64 `yaml:"rate_limit"`
	Burst     int     `yaml:"burst"`
}

// DefaultConfig returns the defaults; credentials are left empty and must be set.
func DefaultConfig() Config {
	return Config{
		Addr:         "127.0.0.1:9080",
		EdgeURL:      "http://127.0.0.1:8080",
		KVReplicas:   1,
		MaxBodyBytes: 10 << 20,
		RateLimit:    100,
		Burst:        200,
	}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	if c.EdgeURL != "" {
		if u, err := url.Parse(c.EdgeURL); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("edge_url %q: not an absolute URL", c.EdgeURL))
		}
	}
	if c.AccessKeyID == "" {
		errs = append(errs, errors.New("access_key_id is required (admin is never open)"))
	}
	if c.SecretAccessKey == "" {
		errs = append(errs, errors.New("secret_access_key is required (admin is never open)"))
	}
	if c.KVReplicas < 1 || c.KVReplicas > 5 {
		errs = append(errs, fmt.Errorf("kv_replicas %d: must be in [1, 5]", c.KVReplicas))
	}
	if c.RateLimit < 0 || (c.RateLimit > 0 && c.Burst < 1) {
		errs = append(errs, fmt.Errorf("rate_limit %v / burst %d: rate >= 0, and burst >= 1 when rate is set", c.RateLimit, c.Burst))
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 100<<20 {
		errs = append(errs, fmt.Errorf("max_body_bytes %d: must be in [1024, 104857600]", c.MaxBodyBytes))
	}
	return errors.Join(errs...)
}
