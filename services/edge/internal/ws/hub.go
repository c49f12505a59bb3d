package ws

import (
	"context"
	"errors"
	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/model"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"
)

// Deps are the hub's collaborators.
type Deps struct {
	Logger *slog.Logger
	Tracer trace.TracerProvider
	NATS   *nats.Conn
	EdgeID string
}

// Target is the WebSocket API stage a request upgrades into.
type Target struct {
	APIID, Stage   string
	API            *model.RestAPI
	StageVariables map[string]string
	SourceIP       string
}

// Hub holds the edge's sockets.
type Hub struct {
	cfg  Config
	deps Deps
}

// New validates cfg and deps; it does no I/O.
func New(cfg Config, deps Deps) (*Hub, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.NATS == nil || deps.EdgeID == "" {
		return nil, errors.New("ws: NATS and EdgeID are required")
	}
	return &Hub{cfg: cfg, deps: deps}, nil
}

// Start subscribes to the edge's delivery subject and returns.
func (h *Hub) Start(ctx context.Context) error { return nil }

// Upgrade performs the handshake, runs $connect and serves the socket.
func (h *Hub) Upgrade(ctx *fasthttp.RequestCtx, t Target) {}

// Manage serves an @connections call.
func (h *Hub) Manage(ctx *fasthttp.RequestCtx, apiID, stage, connectionID string) {}

// Shutdown closes every socket gradually and delivers their $disconnect.
func (h *Hub) Shutdown(ctx context.Context) error { return nil }

// Count is the number of sockets held.
func (h *Hub) Count() int { return 0 }
