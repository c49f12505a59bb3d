package edge

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/portico/portico/services/edge/ws"
)

// Config is the edge's configuration.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string `yaml:"addr"`
	// EdgeID names this node on the bus; default random.
	EdgeID string `yaml:"edge_id"`
	// Domain is the suffix of host-style endpoints: {apiId}.execute-api.{Domain}.
	Domain string `yaml:"domain"`
	// MaxBodyBytes bounds request bodies (413 above it).
	MaxBodyBytes int `yaml:"max_body_bytes"`
	// MaxHeaderBytes bounds the request line and headers (431 above it).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// MaxURLBytes bounds the request URI (414 above it; AWS: 8192).
	MaxURLBytes int `yaml:"max_url_bytes"`
	// DrainTimeout bounds the graceful shutdown.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// AuthzTimeout bounds one authz request.
	AuthzTimeout time.Duration `yaml:"authz_timeout"`
	// KVReplicas is used if the edge has to create the config bucket.
	KVReplicas int `yaml:"kv_replicas"`
	// AccountRate and AccountBurst are the account-wide limit every request spends from, across
	// all edges (AWS's default: 10,000 requests/s, burst 5,000). AccountRate 0 turns it off.
	AccountRate  float64 `yaml:"account_rate"`
	AccountBurst int64   `yaml:"account_burst"`
	// Region and AccountID make the execute-api ARNs that IAM policies, authorizers and
	// resource policies see: arn:aws:execute-api:{Region}:{AccountID}:{apiId}/{stage}/{METHOD}/{path}.
	Region    string `yaml:"region"`
	AccountID string `yaml:"account_id"`
	// TLS makes the edge serve HTTPS (and mutual TLS with a truststore) as well.
	TLS TLSConfig `yaml:"tls"`
	// WebSocket is the socket hub's configuration.
	WebSocket ws.Config `yaml:"websocket"`
	// CacheMaxBytes bounds the memory of this edge's stage cache, all stages together (each
	// stage is bounded by its cacheClusterSize as well); 0 turns the stage cache off.
	CacheMaxBytes int64 `yaml:"cache_max_bytes"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Addr:           "127.0.0.1:8080",
		Domain:         "localhost",
		MaxBodyBytes:   10 << 20,
		MaxHeaderBytes: 16 << 10,
		MaxURLBytes:    8192,
		DrainTimeout:   30 * time.Second,
		AuthzTimeout:   2 * time.Second,
		KVReplicas:     1,
		AccountRate:    10000,
		Region:         "us-east-1",
		AccountID:      "000000000000",
		AccountBurst:   5000,
		WebSocket:      ws.DefaultConfig(),
		CacheMaxBytes:  256 << 20,
	}
}

// Validate reports every problem of the configuration.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("edge addr %q: %w", c.Addr, err))
	}
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("edge max_body_bytes must be positive"))
	}
	if c.MaxHeaderBytes < 1024 {
		errs = append(errs, errors.New("edge max_header_bytes must be at least 1024"))
	}
	if c.MaxURLBytes < 256 || c.MaxURLBytes > c.MaxHeaderBytes {
		errs = append(errs, errors.New("edge max_url_bytes must be between 256 and max_header_bytes"))
	}
	if c.DrainTimeout <= 0 {
		errs = append(errs, errors.New("edge drain_timeout must be positive"))
	}
	if c.AuthzTimeout <= 0 {
		errs = append(errs, errors.New("edge authz_timeout must be positive"))
	}
	if c.AccountRate < 0 || c.AccountBurst < 0 || (c.AccountRate > 0 && c.AccountBurst < 1) {
		errs = append(errs, fmt.Errorf("edge account_rate %v / account_burst %d: rate >= 0, and burst >= 1 when rate is set", c.AccountRate, c.AccountBurst))
	}
	if c.CacheMaxBytes < 0 {
		errs = append(errs, errors.New("edge cache_max_bytes must be 0 (no stage cache) or more"))
	}
	if err := c.TLS.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.WebSocket.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func randomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
