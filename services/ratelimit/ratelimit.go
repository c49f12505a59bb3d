// Package ratelimit is the service that owns the token-bucket store. Edges ask it for leases
// (wire.SubjectRateLimitLease, queue group wire.QueueRateLimit): a lease is a few tokens taken
// from the key's bucket in one atomic store call, sized from the rate and the number of live
// edges, that the edge spends locally until it expires. When the store fails, the service
// answers wire.CodeUnavailable at once and the edge applies its outage policy; it recovers by
// itself when the store comes back.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/tokenbucket"
	"github.com/portico/portico/pkg/wire"
)

// Deps are the service's collaborators.
type Deps struct {
	Logger  *slog.Logger
	Tracer  trace.TracerProvider
	Metrics prometheus.Registerer
	NATS    *nats.Conn
	// Store, when set, replaces the store Config describes (tests, embedding).
	Store tokenbucket.Store
}

// Service answers lease requests.
type Service struct {
	cfg     Config
	log     *slog.Logger
	tracer  trace.Tracer
	nc      *nats.Conn
	store   tokenbucket.Store
	redis   redis.UniversalClient // nil unless the service made it (and so closes it)
	metrics *metrics
	edges   *edges
	healthy atomic.Bool
}

// New validates cfg and builds the service without I/O or goroutines.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ratelimit config: %w", err)
	}
	if deps.NATS == nil {
		return nil, errors.New("ratelimit: Deps.NATS is required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Tracer == nil {
		deps.Tracer = noop.NewTracerProvider()
	}
	s := &Service{
		cfg:    cfg,
		log:    deps.Logger,
		tracer: deps.Tracer.Tracer("github.com/portico/portico/services/ratelimit"),
		nc:     deps.NATS,
		store:  deps.Store,
		edges:  newEdges(cfg.EdgeTimeout, cfg.MaxEdges),
	}
	s.healthy.Store(true)
	if s.store == nil {
		if cfg.RedisURL == "" {
			s.store = tokenbucket.NewMemoryStore()
		} else {
			opts, err := cfg.redisOptions()
			if err != nil {
				return nil, err
			}
			s.redis = redis.NewUniversalClient(opts) // connects lazily
			s.store = tokenbucket.NewRedisStore(s.redis, cfg.KeyPrefix)
		}
	}
	m, err := newMetrics(deps.Metrics, func() float64 { return float64(s.edges.live()) })
	if err != nil {
		return nil, fmt.Errorf("ratelimit metrics: %w", err)
	}
	s.metrics = m
	return s, nil
}

// Run serves lease requests until ctx is done, then stops taking new ones, answers those
// already queued and returns nil.
func (s *Service) Run(ctx context.Context) error {
	if s.redis != nil {
		defer s.redis.Close()
	}
	// The channel bounds the backlog: when it is full NATS drops requests (slow consumer) and
	// their edges time out into their outage policy.
	queue := make(chan *nats.Msg, s.cfg.QueueLength)
	sub, err := s.nc.ChanQueueSubscribe(wire.SubjectRateLimitLease, wire.QueueRateLimit, queue)
	if err != nil {
		return fmt.Errorf("subscribing to leases: %w", err)
	}
	hb, err := s.nc.Subscribe(wire.SubjectEdgeHeartbeat, s.heartbeat)
	if err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("subscribing to heartbeats: %w", err)
	}
	us, err := s.nc.QueueSubscribe(wire.SubjectRateLimitUsage, wire.QueueRateLimit, s.serveUsage)
	if err != nil {
		_ = sub.Unsubscribe()
		_ = hb.Unsubscribe()
		return fmt.Errorf("subscribing to usage: %w", err)
	}
	defer func() { _ = us.Unsubscribe() }()
	if err := s.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		_ = hb.Unsubscribe()
		return fmt.Errorf("flushing subscriptions: %w", err)
	}
	s.log.Info("ratelimit serving", "subject", wire.SubjectRateLimitLease, "workers", s.cfg.Workers, "redis", s.redis != nil)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() { s.work(queue, stop) })
	}
	<-ctx.Done()
	_ = hb.Unsubscribe()
	if err := sub.Unsubscribe(); err != nil {
		s.log.Warn("ratelimit unsubscribe failed", "err", err)
	}
	close(stop)
	wg.Wait()
	s.log.Info("ratelimit drained")
	return nil
}

// work serves queued requests; after stop it answers what is left in the queue and returns.
func (s *Service) work(queue chan *nats.Msg, stop chan struct{}) {
	for {
		select {
		case m := <-queue:
			s.serve(m)
		case <-stop:
			for {
				select {
				case m := <-queue:
					s.serve(m)
				default:
					return
				}
			}
		}
	}
}

func (s *Service) heartbeat(m *nats.Msg) {
	_, span := s.tracer.Start(telemetry.Extract(context.Background(), m), "ratelimit.heartbeat",
		trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	var hb wire.EdgeHeartbeat
	if err := wire.Unmarshal(m.Data, &hb); err != nil {
		return
	}
	s.edges.touch(hb.EdgeID)
}

// serve answers one lease request.
func (s *Service) serve(m *nats.Msg) {
	ctx := telemetry.Extract(context.Background(), m)
	ctx, span := s.tracer.Start(ctx, "ratelimit.lease", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	g := s.lease(ctx, m.Data)
	span.SetAttributes(attribute.Int64("portico.lease.granted", g.Granted))
	if g.Code != wire.CodeOK {
		span.SetStatus(codes.Error, g.Code)
	}
	data, err := wire.Marshal(g)
	if err != nil {
		return
	}
	if m.Reply == "" {
		return
	}
	if err := m.Respond(data); err != nil {
		s.log.Debug("ratelimit reply failed", "err", err)
	}
}

// lease decodes a request, sizes the lease and takes it from the store.
func (s *Service) lease(ctx context.Context, data []byte) wire.LeaseGrant {
	var req wire.LeaseRequest
	if err := wire.Unmarshal(data, &req); err != nil {
		s.metrics.leases.WithLabelValues(resultBadRequest).Inc()
		return wire.LeaseGrant{Code: wire.CodeBadRequest}
	}
	if req.QuotaPeriod != "" {
		return s.quotaLease(ctx, req)
	}
	if err := tokenbucket.CheckTake(req.Key, req.Rate, req.Burst, max(req.Want, 0)); err != nil {
		s.metrics.leases.WithLabelValues(resultBadRequest).Inc()
		return wire.LeaseGrant{Code: wire.CodeBadRequest}
	}
	s.edges.touch(req.EdgeID)
	want := LeaseSize(req.Rate, req.Burst, req.Want, s.cfg.LeaseWindow, s.edges.live())
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RedisTimeout)
	defer cancel()
	ctx, span := s.tracer.Start(ctx, "ratelimit.store.take", trace.WithSpanKind(trace.SpanKindClient))
	r, err := s.store.Take(ctx, req.Key, req.Rate, req.Burst, want)
	span.End()
	if err != nil {
		return s.storeFailed(err)
	}
	s.storeOK()
	g := wire.LeaseGrant{Granted: r.Granted, ExpiresMillis: s.cfg.LeaseTTL.Milliseconds()}
	if r.Granted == 0 {
		g.RetryAfterMs = ceilMillis(r.RetryAfter)
		s.metrics.leases.WithLabelValues(resultThrottled).Inc()
	} else {
		s.metrics.leases.WithLabelValues(resultGranted).Inc()
	}
	return g
}

// quotaLease counts up to Want requests against a usage-plan quota. The edge sizes Want from
// its own demand; the service caps it at MaxQuotaLease.
func (s *Service) quotaLease(ctx context.Context, req wire.LeaseRequest) wire.LeaseGrant {
	qs, ok := s.store.(tokenbucket.QuotaStore)
	period, err := tokenbucket.ParsePeriod(req.QuotaPeriod)
	if err == nil {
		err = tokenbucket.CheckQuota(req.Key, req.QuotaLimit, period, req.QuotaOffset, max(req.Want, 0))
	}
	if err != nil || !ok {
		s.metrics.leases.WithLabelValues(resultBadRequest).Inc()
		return wire.LeaseGrant{Code: wire.CodeBadRequest}
	}
	s.edges.touch(req.EdgeID)
	want := min(max(req.Want, 1), s.cfg.MaxQuotaLease)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RedisTimeout)
	defer cancel()
	ctx, span := s.tracer.Start(ctx, "ratelimit.store.take_quota", trace.WithSpanKind(trace.SpanKindClient))
	r, err := qs.TakeQuota(ctx, req.Key, req.QuotaLimit, period, req.QuotaOffset, want)
	span.End()
	if err != nil {
		return s.storeFailed(err)
	}
	s.storeOK()
	g := wire.LeaseGrant{Granted: r.Granted, ExpiresMillis: s.cfg.QuotaLeaseTTL.Milliseconds()}
	if r.Granted == 0 {
		g.Code = wire.CodeQuotaExceeded
		g.RetryAfterMs = ceilMillis(r.RetryAfter)
		s.metrics.leases.WithLabelValues(resultQuotaExceeded).Inc()
	} else {
		s.metrics.leases.WithLabelValues(resultGranted).Inc()
	}
	return g
}

func (s *Service) storeFailed(err error) wire.LeaseGrant {
	s.metrics.storeErrors.Inc()
	s.metrics.leases.WithLabelValues(resultUnavailable).Inc()
	if s.healthy.Swap(false) {
		s.log.Error("ratelimit store unavailable", "err", err)
	}
	return wire.LeaseGrant{Code: wire.CodeUnavailable}
}

func (s *Service) storeOK() {
	if !s.healthy.Swap(true) {
		s.log.Info("ratelimit store available again")
	}
}

func ceilMillis(d time.Duration) int64 {
	return int64(math.Ceil(float64(d) / float64(time.Millisecond)))
}

// LeaseSize is how many tokens one lease takes: rate × window shared among the live edges, at
// least 1 (so low rates stay exact), at most the burst and what the edge asked for (want <= 0
// means no limit of its own).
func LeaseSize(rate float64, burst, want int64, window time.Duration, edges int) int64 {
	n := int64(rate * window.Seconds() / float64(max(edges, 1)))
	n = min(n, tokenbucket.EffectiveBurst(rate, burst))
	if want > 0 {
		n = min(n, want)
	}
	return max(n, 1)
}
