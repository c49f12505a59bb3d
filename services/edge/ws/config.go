// Package ws is the edge's WebSocket hub: it upgrades client connections of WebSocket APIs,
// runs the $connect/$disconnect/$default/custom routes against their integrations, registers
// sockets with the connections service and writes the frames that @connections calls deliver.
package ws

import (
	"errors"
	"fmt"
	"time"
)

// Config bounds every socket the hub holds.
type Config struct {
	MaxFrameBytes      int           `yaml:"max_frame_bytes"`     // larger frame → close 1009
	MaxMessageBytes    int           `yaml:"max_message_bytes"`   // larger message → close 1009
	IdleTimeout        time.Duration `yaml:"idle_timeout"`        // no client frame for this long → close 1001
	MaxLifetime        time.Duration `yaml:"max_lifetime"`        // socket age limit → close 1001
	MaxConns           int           `yaml:"max_conns"`           // per-edge cap; upgrade refused 429 when full
	SendQueue          int           `yaml:"send_queue"`          // queued outbound messages per socket; overflow disconnects
	LameDuck           time.Duration `yaml:"lame_duck"`           // Shutdown spreads closes over this window
	IntegrationTimeout time.Duration `yaml:"integration_timeout"` // NATS integration request timeout
}

// DefaultConfig returns AWS API Gateway's WebSocket limits.
func DefaultConfig() Config {
	return Config{
		MaxFrameBytes:      32 << 10,
		MaxMessageBytes:    128 << 10,
		IdleTimeout:        10 * time.Minute,
		MaxLifetime:        2 * time.Hour,
		MaxConns:           100000,
		SendQueue:          64,
		LameDuck:           5 * time.Second,
		IntegrationTimeout: 29 * time.Second,
	}
}

// Validate reports every problem of c.
func (c Config) Validate() error {
	var errs []error
	if c.MaxFrameBytes <= 0 || c.MaxFrameBytes > 16<<20 {
		errs = append(errs, fmt.Errorf("max_frame_bytes %d: must be in (0, 16 MiB]", c.MaxFrameBytes))
	}
	if c.MaxMessageBytes <= 0 || c.MaxMessageBytes < c.MaxFrameBytes || c.MaxMessageBytes > 64<<20 {
		errs = append(errs, fmt.Errorf("max_message_bytes %d: must be in [max_frame_bytes, 64 MiB]", c.MaxMessageBytes))
	}
	if c.IdleTimeout <= 0 {
		errs = append(errs, errors.New("idle_timeout: must be positive"))
	}
	if c.MaxLifetime <= 0 {
		errs = append(errs, errors.New("max_lifetime: must be positive"))
	}
	if c.MaxConns <= 0 || c.MaxConns > 10_000_000 {
		errs = append(errs, fmt.Errorf("max_conns %d: must be in (0, 10000000]", c.MaxConns))
	}
	if c.SendQueue <= 0 || c.SendQueue > 1<<16 {
		errs = append(errs, fmt.Errorf("send_queue %d: must be in (0, 65536]", c.SendQueue))
	}
	if c.LameDuck < 0 || c.LameDuck > 10*time.Minute {
		errs = append(errs, errors.New("lame_duck: must be in [0, 10m]"))
	}
	if c.IntegrationTimeout < 50*time.Millisecond || c.IntegrationTimeout > 5*time.Minute {
		errs = append(errs, errors.New("integration_timeout: must be in [50ms, 5m]"))
	}
	return errors.Join(errs...)
}
