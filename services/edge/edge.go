// Package edge is Portico's data plane: a fasthttp server that maps each request to an API
// stage and route, asks authz and ratelimit over NATS (through local caches and leases), calls
// the integration and writes the response. It holds WebSocket connections through its hub.
package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/edge/ws"
)

// Authorizer decides whether a request may go on; pkg/authzclient implements it with a cache
// in front of the authz service.
type Authorizer interface {
	Check(ctx context.Context, req *wire.AuthzRequest) (wire.AuthzDecision, error)
	// VerifySigV4 checks an AWS_IAM request's signature and the caller's IAM policies for
	// execute-api:Invoke on methodARN, locally with cached credentials.
	VerifySigV4(ctx context.Context, req *sigv4.Request, methodARN, sourceIP string) (wire.AuthzDecision, error)
}

// Throttler spends tokens of a rate limit; pkg/lease implements it with leases from the
// ratelimit service. code is wire.CodeThrottled or wire.CodeUnavailable when refused.
type Throttler interface {
	Allow(ctx context.Context, key string, rate float64, burst int64) (allowed bool, code string)
	// AllowQuota counts one request against a quota of limit per period (DAY, WEEK, MONTH)
	// starting offset days into it; code is wire.CodeQuotaExceeded when refused.
	AllowQuota(ctx context.Context, key string, limit int64, period string, offset int) (allowed bool, code string)
}

// Deps are the edge's collaborators.
type Deps struct {
	Logger  *slog.Logger
	Tracer  trace.TracerProvider
	Metrics prometheus.Registerer
	NATS    *nats.Conn
	Authz   Authorizer
	Limiter Throttler
	// ClosedLimiter, when set, serves stages whose outage policy is fail-closed (stage
	// variable portico_throttle_outage = fail-closed): while the limiter's store is down their
	// requests are refused instead of admitted through the local limit.
	ClosedLimiter Throttler
	// Listener, when set, is served instead of listening on Config.Addr (tests).
	Listener net.Listener
	// WebSocketManageAuth authorizes @connections calls (ws.SigV4Auth); nil refuses them all.
	WebSocketManageAuth ws.ManageAuthFunc
	// WebSocketConnectAuth, when set, replaces the edge's own authorization of WebSocket
	// handshakes (the $connect route's authorizer, IAM or API key) before $connect.
	WebSocketConnectAuth ws.ConnectAuthFunc
}

// Service is an edge node.
type Service struct {
	cfg       Config
	deps      Deps
	log       *slog.Logger
	tracer    trace.Tracer
	tables    atomic.Pointer[tables]
	domains   atomic.Pointer[domains]
	webACLs   atomic.Pointer[webACLs]
	hub       *ws.Hub
	server    *fasthttp.Server
	client    *fasthttp.Client
	replies   *replyMux
	metrics   *metrics
	ready     chan struct{}
	readyOnce sync.Once
	addr      atomic.Value // net.Addr once listening
	tlsAddr   atomic.Value // net.Addr of the TLS listener, when there is one
	cache     *responseCache
}

// New validates the configuration and builds the edge. It does no I/O.
func New(cfg Config, deps Deps) (*Service, error) {
	if cfg.EdgeID == "" {
		cfg.EdgeID = randomID()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.NATS == nil {
		return nil, errors.New("edge: NATS connection required")
	}
	if deps.Authz == nil || deps.Limiter == nil {
		return nil, errors.New("edge: Authz and Limiter required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Tracer == nil {
		deps.Tracer = noop.NewTracerProvider()
	}
	if deps.Metrics == nil {
		deps.Metrics = prometheus.NewRegistry()
	}
	s := &Service{cfg: cfg, deps: deps, log: deps.Logger.With("service", "edge", "edge_id", cfg.EdgeID),
		tracer: deps.Tracer.Tracer("github.com/portico/portico/services/edge"), ready: make(chan struct{}),
		replies: newReplyMux(deps.NATS)}
	empty := tables{}
	s.tables.Store(&empty)
	connectAuth := deps.WebSocketConnectAuth
	if connectAuth == nil {
		connectAuth = s.connectAuth
	}
	hub, err := ws.New(cfg.WebSocket, ws.Deps{Logger: s.log, Tracer: deps.Tracer, NATS: deps.NATS, EdgeID: cfg.EdgeID,
		ManageAuth: deps.WebSocketManageAuth, ConnectAuth: connectAuth, Throttle: deps.Limiter.Allow})
	if err != nil {
		return nil, fmt.Errorf("edge websocket hub: %w", err)
	}
	s.hub = hub
	m, err := newMetrics(deps.Metrics)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.client = &fasthttp.Client{
		Name:                     "portico",
		MaxConnsPerHost:          4096,
		MaxIdleConnDuration:      90 * time.Second,
		NoDefaultUserAgentHeader: true,
		DisablePathNormalizing:   true,
		ReadBufferSize:           16 << 10,
	}
	s.server = &fasthttp.Server{
		Handler:                       s.handle,
		Name:                          "portico",
		MaxRequestBodySize:            cfg.MaxBodyBytes,
		ReadBufferSize:                cfg.MaxHeaderBytes,
		DisablePreParseMultipartForm:  true,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		DisableHeaderNamesNormalizing: false,
		ErrorHandler:                  s.serverError,
		Logger:                        serverLog{s.log},
		ReadTimeout:                   60 * time.Second,
		IdleTimeout:                   120 * time.Second,
		CloseOnShutdown:               true,
	}
	return s, nil
}

// EdgeID is this node's id on the bus.
func (s *Service) EdgeID() string { return s.cfg.EdgeID }

// Ready is closed once the edge has loaded every stage and is listening.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Addr is the listening address, once Ready.
func (s *Service) Addr() net.Addr {
	a, _ := s.addr.Load().(net.Addr)
	return a
}

// TLSAddr is the HTTPS listening address, once Ready, when TLS is configured.
func (s *Service) TLSAddr() net.Addr {
	a, _ := s.tlsAddr.Load().(net.Addr)
	return a
}

// Run serves until ctx is done, then drains: it stops accepting, waits for in-flight requests
// (bounded by DrainTimeout), closes sockets gradually and delivers every $disconnect.
func (s *Service) Run(ctx context.Context) error {
	js, err := jetstream.New(s.deps.NATS)
	if err != nil {
		return fmt.Errorf("edge: jetstream: %w", err)
	}
	kv, err := openConfigBucket(ctx, js, s.cfg.KVReplicas)
	if err != nil {
		return err
	}
	if err := s.hub.Start(ctx); err != nil {
		return fmt.Errorf("edge: websocket hub: %w", err)
	}
	stopCache, err := s.startCache()
	if err != nil {
		return err
	}
	defer stopCache()
	ln := s.deps.Listener
	if ln == nil {
		ln, err = net.Listen("tcp", s.cfg.Addr)
		if err != nil {
			return fmt.Errorf("edge: listen on %s: %w", s.cfg.Addr, err)
		}
	}
	s.addr.Store(ln.Addr())

	wctx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	loaded := make(chan struct{})
	w := &watcher{kv: kv, deploys: map[string]*model.Deployment{}, pending: map[string]jetstream.KeyValueEntry{},
		swap:    func(t tables) { s.tables.Store(&t) },
		prepare: func(st *stageState) { s.metrics.prepareStage(st); s.stageLimits(st); s.stageAuth(st); s.stageCache(st) },
		current: func() tables { return *s.tables.Load() },
		log:     func(msg string, args ...any) { s.log.Warn(msg, args...) }}
	watchErr := make(chan error, 1)
	go func() { watchErr <- w.run(wctx, func() { close(loaded) }) }()
	wafLoaded := make(chan struct{})
	var wafOnce sync.Once
	go s.watchWAF(wctx, kv, func() { wafOnce.Do(func() { close(wafLoaded) }) })
	for _, c := range []chan struct{}{loaded, wafLoaded} {
		select {
		case <-c:
		case err := <-watchErr:
			return err
		case <-ctx.Done():
			return nil
		}
	}

	serveErr := make(chan error, 2)
	if s.cfg.TLS.Addr != "" {
		tlsCfg, err := s.cfg.TLS.serverTLS()
		if err != nil {
			ln.Close()
			return err
		}
		tln, err := net.Listen("tcp", s.cfg.TLS.Addr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("edge: listen on %s (tls): %w", s.cfg.TLS.Addr, err)
		}
		s.tlsAddr.Store(tln.Addr())
		go func() { serveErr <- s.server.Serve(tls.NewListener(tln, tlsCfg)) }()
	}
	go func() { serveErr <- s.server.Serve(ln) }()
	go s.heartbeat(wctx)
	go s.watchDomains(wctx, kv)
	s.readyOnce.Do(func() { close(s.ready) })
	s.log.Info("edge serving", "addr", ln.Addr().String())

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("edge: serve: %w", err)
	}
	dctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	var errs []error
	if err := s.server.ShutdownWithContext(dctx); err != nil {
		errs = append(errs, fmt.Errorf("edge: http drain: %w", err))
	}
	if err := s.hub.Shutdown(dctx); err != nil {
		errs = append(errs, fmt.Errorf("edge: websocket drain: %w", err))
	}
	s.publishHeartbeat()
	return errors.Join(errs...)
}

func (s *Service) heartbeat(ctx context.Context) {
	t := time.NewTicker(wire.HeartbeatInterval)
	defer t.Stop()
	s.publishHeartbeat()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.publishHeartbeat()
		}
	}
}

func (s *Service) publishHeartbeat() {
	b, _ := wire.Marshal(wire.EdgeHeartbeat{EdgeID: s.cfg.EdgeID, Connections: s.hub.Count()})
	_ = s.deps.NATS.Publish(wire.SubjectEdgeHeartbeat, b)
}

// openConfigBucket binds the config bucket, creating it if no one has yet.
func openConfigBucket(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, wire.ConfigBucket)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("edge: config bucket: %w", err)
	}
	kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: wire.ConfigBucket, History: 5, Replicas: replicas})
	if errors.Is(err, jetstream.ErrBucketExists) {
		return js.KeyValue(ctx, wire.ConfigBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("edge: creating config bucket: %w", err)
	}
	return kv, nil
}
