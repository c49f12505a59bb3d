package connections

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Deps are the service's collaborators.
type Deps struct {
	Logger  *slog.Logger
	Tracer  trace.TracerProvider
	Metrics prometheus.Registerer // nil: metrics are not registered
	NATS    *nats.Conn
	Now     func() time.Time // nil: time.Now
}

// Service is the connections service.
type Service struct {
	cfg     Config
	nc      *nats.Conn
	log     *slog.Logger
	tracer  trace.Tracer
	now     func() time.Time
	metrics *metrics
	reg     *registry

	kv      jetstream.KeyValue
	kvOps   chan kvOp
	sem     chan struct{}
	pending sync.WaitGroup
	stopMu  sync.Mutex
	stopped bool
}

type kvOp struct {
	key   string
	value []byte // nil: delete
}

// New validates cfg and deps and allocates the service; it does no I/O.
func New(cfg Config, deps Deps) (*Service, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if deps.NATS == nil {
		errs = append(errs, errors.New("connections: Deps.NATS is required"))
	}
	m, err := newMetrics(deps.Metrics)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	tp := deps.Tracer
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	return &Service{
		cfg:     cfg,
		nc:      deps.NATS,
		log:     log.With("service", "connections"),
		tracer:  tp.Tracer("github.com/portico/portico/services/connections"),
		now:     now,
		metrics: m,
		reg:     newRegistry(cfg.MaxConnections),
		kvOps:   make(chan kvOp, cfg.KVQueue),
		sem:     make(chan struct{}, cfg.MaxInFlight),
	}, nil
}

// Run opens the registry bucket, loads it, serves until ctx is done, then drains and returns
// nil.
//
// Every instance subscribes to connection events and heartbeats without a queue group, so each
// keeps the whole registry in memory (and writes the same, idempotent bucket updates); the
// @connections operations are shared out through the queue group wire.QueueConnections.
// "active" events only refresh memory: the bucket keeps what a restarted instance needs (owner
// edge, identity, connectedAt).
func (s *Service) Run(ctx context.Context) error {
	js, err := jetstream.New(s.nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   wire.ConnBucket,
		History:  1,
		Replicas: s.cfg.KVReplicas,
		Storage:  jetstream.FileStorage,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return fmt.Errorf("opening bucket %s: %w", wire.ConnBucket, err)
	}
	s.kv = kv
	if err := s.load(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("loading registry: %w", err)
	}

	workerDone := make(chan struct{})
	go s.kvWorker(workerDone)

	var subs []*nats.Subscription
	unsubscribe := func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
	}
	for _, x := range []struct {
		subject, queue string
		h              nats.MsgHandler
	}{
		{wire.SubjectConnRegister, "", s.onRegister},
		{wire.SubjectEdgeHeartbeat, "", s.onHeartbeat},
		{wire.SubjectConnManage, wire.QueueConnections, s.onManage},
	} {
		sub, err := s.nc.QueueSubscribe(x.subject, x.queue, x.h)
		if err != nil {
			unsubscribe()
			close(s.kvOps)
			<-workerDone
			return fmt.Errorf("subscribing to %s: %w", x.subject, err)
		}
		subs = append(subs, sub)
	}
	// Edges re-register their sockets: some may have opened while no instance was listening.
	if err := s.nc.Publish(wire.SubjectConnResync, nil); err != nil {
		s.log.Warn("resync request not published", "err", err)
	}
	if err := s.nc.Flush(); err != nil {
		s.log.Warn("flush after subscribing failed", "err", err)
	}
	s.log.Info("connections service running", "connections", s.reg.len())

	tick := time.NewTicker(s.cfg.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			s.sweep()
		case <-ctx.Done():
			unsubscribe()
			s.stopMu.Lock()
			s.stopped = true
			s.stopMu.Unlock()
			s.pending.Wait()
			close(s.kvOps)
			<-workerDone
			return nil
		}
	}
}

// load fills the cache from the bucket.
func (s *Service) load(ctx context.Context) error {
	w, err := s.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return err
	}
	defer func() { _ = w.Stop() }()
	now := s.now()
	for e := range w.Updates() {
		if e == nil {
			break
		}
		var ev wire.ConnEvent
		if err := wire.Unmarshal(e.Value(), &ev); err != nil {
			s.log.Warn("skipping malformed registry entry", "key", e.Key())
			continue
		}
		if !s.reg.put(ev, now) {
			break
		}
	}
	s.metrics.registered.Set(float64(s.reg.len()))
	return nil
}

func (s *Service) kvWorker(done chan<- struct{}) {
	defer close(done)
	for op := range s.kvOps {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ForwardTimeout)
		var err error
		if op.value == nil {
			err = s.kv.Delete(ctx, op.key)
			s.reg.untombstone(op.key)
		} else {
			_, err = s.kv.Put(ctx, op.key, op.value)
		}
		cancel()
		if err != nil {
			s.log.Warn("registry write failed", "key", op.key, "err", err)
		}
	}
}

func (s *Service) persist(op kvOp) {
	if op.value == nil {
		s.reg.tombstone(op.key)
	}
	select {
	case s.kvOps <- op:
	default:
		if op.value == nil {
			s.reg.untombstone(op.key)
		}
		s.metrics.kvDropped.Inc()
		s.log.Warn("registry write queue full, write dropped", "key", op.key)
	}
}

// validKey reports whether id can be a KV key (and so a registry entry).
func validKey(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '-', r == '_', r == '=', r == '/':
		default:
			return false
		}
	}
	return true
}

func (s *Service) onRegister(msg *nats.Msg) {
	_, span := s.tracer.Start(telemetry.Extract(context.Background(), msg), "connections.register",
		trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	var ev wire.ConnEvent
	if err := wire.Unmarshal(msg.Data, &ev); err != nil || !validKey(ev.ConnectionID) || ev.EdgeID == "" {
		s.log.Warn("malformed connection event")
		return
	}
	switch ev.Kind {
	case wire.ConnConnect:
		if !s.reg.put(ev, s.now()) {
			s.log.Warn("registry full, connection not recorded", "connection_id", ev.ConnectionID)
			return
		}
		data, _ := wire.Marshal(ev)
		s.persist(kvOp{key: ev.ConnectionID, value: data})
	case wire.ConnActive:
		s.reg.touch(ev.ConnectionID, ev.LastActiveAt)
	case wire.ConnDisconnect:
		s.forget(ev.ConnectionID)
	}
	s.metrics.registered.Set(float64(s.reg.len()))
}

// forget removes a connection; the tombstone goes first, so that no lookup in between reads
// the bucket's stale entry.
func (s *Service) forget(id string) {
	s.persist(kvOp{key: id})
	s.reg.remove(id)
}

func (s *Service) onHeartbeat(msg *nats.Msg) {
	_, span := s.tracer.Start(telemetry.Extract(context.Background(), msg), "connections.heartbeat",
		trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	var hb wire.EdgeHeartbeat
	if err := wire.Unmarshal(msg.Data, &hb); err != nil || hb.EdgeID == "" {
		return
	}
	s.reg.heartbeat(hb.EdgeID, s.now())
}

func (s *Service) sweep() {
	gone := s.reg.sweep(s.now().Add(-s.cfg.HeartbeatTimeout))
	for _, id := range gone {
		s.persist(kvOp{key: id})
	}
	if len(gone) > 0 {
		s.log.Info("dropped connections of silent edges", "count", len(gone))
		s.metrics.registered.Set(float64(s.reg.len()))
	}
}
