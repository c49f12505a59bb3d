// Package connections is the WebSocket connection registry: it records which edge holds each
// socket (JetStream KV bucket wire.ConnBucket plus an in-memory cache), serves the @connections
// operations on wire.SubjectConnManage by forwarding them to the owning edge, and forgets the
// sockets of edges that stop sending heartbeats.
package connections

import (
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/pkg/wire"
)

// Config is the connections service's configuration.
type Config struct {
	// ForwardTimeout bounds a Delivery request to an edge.
	ForwardTimeout time.Duration `yaml:"forward_timeout"`
	// MaxPayloadBytes is the largest @connections POST body (AWS: 128 KB).
	MaxPayloadBytes int `yaml:"max_payload_bytes"`
	// MaxConnections bounds the registry; connects beyond it are not recorded.
	MaxConnections int `yaml:"max_connections"`
	// HeartbeatTimeout is how long an edge may stay silent before its sockets are dropped.
	HeartbeatTimeout time.Duration `yaml:"heartbeat_timeout"`
	// SweepInterval is how often silent edges are looked for.
	SweepInterval time.Duration `yaml:"sweep_interval"`
	// KVReplicas is the replica count of the registry bucket (1, or 3 on a cluster).
	KVReplicas int `yaml:"kv_replicas"`
	// MaxInFlight bounds the @connections operations served at once.
	MaxInFlight int `yaml:"max_in_flight"`
	// KVQueue bounds the registry writes waiting for JetStream.
	KVQueue int `yaml:"kv_queue"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		ForwardTimeout:   5 * time.Second,
		MaxPayloadBytes:  128 << 10,
		MaxConnections:   1_000_000,
		HeartbeatTimeout: wire.HeartbeatTimeout,
		SweepInterval:    time.Second,
		KVReplicas:       1,
		MaxInFlight:      256,
		KVQueue:          65536,
	}
}

// Validate reports every problem of c.
func (c Config) Validate() error {
	var errs []error
	if c.ForwardTimeout < 10*time.Millisecond || c.ForwardTimeout > time.Minute {
		errs = append(errs, errors.New("forward_timeout: must be in [10ms, 1m]"))
	}
	if c.MaxPayloadBytes <= 0 || c.MaxPayloadBytes > 16<<20 {
		errs = append(errs, fmt.Errorf("max_payload_bytes %d: must be in (0, 16 MiB]", c.MaxPayloadBytes))
	}
	if c.MaxConnections <= 0 || c.MaxConnections > 100_000_000 {
		errs = append(errs, fmt.Errorf("max_connections %d: must be in (0, 100000000]", c.MaxConnections))
	}
	if c.HeartbeatTimeout < 100*time.Millisecond || c.HeartbeatTimeout > 24*time.Hour {
		errs = append(errs, errors.New("heartbeat_timeout: must be in [100ms, 24h]"))
	}
	if c.SweepInterval < 10*time.Millisecond || c.SweepInterval > time.Hour {
		errs = append(errs, errors.New("sweep_interval: must be in [10ms, 1h]"))
	}
	if c.KVReplicas < 1 || c.KVReplicas > 5 {
		errs = append(errs, fmt.Errorf("kv_replicas %d: must be in [1, 5]", c.KVReplicas))
	}
	if c.MaxInFlight <= 0 || c.MaxInFlight > 1<<16 {
		errs = append(errs, fmt.Errorf("max_in_flight %d: must be in (0, 65536]", c.MaxInFlight))
	}
	if c.KVQueue <= 0 || c.KVQueue > 1<<22 {
		errs = append(errs, fmt.Errorf("kv_queue %d: must be in (0, 4194304]", c.KVQueue))
	}
	return errors.Join(errs...)
}
