// Package authz is Portico's authorization service. It answers wire.AuthzRequests on
// wire.SubjectAuthzCheck (queue group wire.QueueAuthz) from an in-memory index of the API keys
// that admin stores in the config bucket, kept current by a KV watch, so a check is a map
// lookup. When a key record changes or is deleted, every authz instance publishes a
// wire.Invalidation for the key's hash once it has applied the change; edges then drop the
// decisions they cached with that key (an instance that answers from the old record before it
// applies the change invalidates that answer itself right after).
//
// Authorizers: API keys (the index above), JWT authorizers (signature against the issuer's
// key set fetched over HTTPS and cached, iss/aud/exp/nbf/iat, scopes) and custom authorizers:
// functions on the bus (AuthzRequest.Custom) that get AWS's authorizer event as a NATS request
// and answer a policy document or a simple response (see custom.go and the wire package's
// flow table). Custom and JWT checks run on goroutines of their own, bounded by
// Custom.MaxConcurrent and JWT.MaxConcurrent.
//
// IAM: authz serves wire.SubjectAuthzCredentials from an index of the IAM credential records
// (model.IAMCredential under wire.KeyIAMUser) kept by a second KV watch, plus the admin
// credentials as the account root; edges verify SigV4 and evaluate policies themselves
// (authzclient.VerifySigV4). A changed record publishes an Invalidation with AccessKeyID.
package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/authz/internal/jwks"
	"github.com/portico/portico/services/authz/internal/jwtauth"
	"github.com/portico/portico/services/authz/internal/keyindex"
)

// Deps are the service's dependencies. NATS is required; the others default to no-ops.
type Deps struct {
	Logger  *slog.Logger
	Tracer  trace.TracerProvider
	Metrics prometheus.Registerer
	NATS    *nats.Conn
	// HTTPClient fetches JWT key sets (default: a client with Config.JWT.FetchTimeout).
	HTTPClient *http.Client
	// Now is the clock of token validation (default time.Now).
	Now func() time.Time
}

// Service is the authz service.
type Service struct {
	cfg       Config
	log       *slog.Logger
	tracer    trace.Tracer
	nc        *nats.Conn
	metrics   *metrics
	keys      *keyindex.Index
	plans     *planIndex
	kv        jetstream.KeyValue // set in Run before checks are served; read-through for unknown keys
	jwt       *jwtauth.Verifier
	now       func() time.Time
	jwtSem    chan struct{}
	customSem chan struct{}
	exprs     exprCache
	iam       iamUsers
	jwtWG     sync.WaitGroup
	jwtMu     sync.Mutex // guards jwtClosed and jwtWG.Add against drain's Wait
	jwtClosed bool

	running atomic.Bool
	ready   chan struct{}
}

// New validates cfg and deps and allocates the service. It does no I/O.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("authz config: %w", err)
	}
	if deps.NATS == nil {
		return nil, errors.New("authz: Deps.NATS is required")
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
	if deps.Now == nil {
		deps.Now = time.Now
	}
	m, err := newMetrics(deps.Metrics)
	if err != nil {
		return nil, fmt.Errorf("authz metrics: %w", err)
	}
	fetcher := jwks.NewFetcher(jwks.FetcherConfig{
		Timeout:    cfg.JWT.FetchTimeout,
		Refresh:    cfg.JWT.Refresh,
		MinRefresh: cfg.JWT.MinRefresh,
		MaxBytes:   cfg.JWT.MaxDocumentBytes,
		MaxURLs:    cfg.JWT.MaxIssuers,
		AllowHTTP:  cfg.JWT.AllowHTTP,
	}, deps.HTTPClient, deps.Now)
	return &Service{
		jwt:       jwtauth.New(jwtauth.Config{Leeway: cfg.JWT.Leeway, MaxTokenBytes: cfg.JWT.MaxTokenBytes}, fetcher, deps.Now),
		now:       deps.Now,
		jwtSem:    make(chan struct{}, cfg.JWT.MaxConcurrent),
		customSem: make(chan struct{}, cfg.Custom.MaxConcurrent),
		cfg:       cfg,
		log:       deps.Logger,
		tracer:    deps.Tracer.Tracer("github.com/portico/portico/services/authz"),
		nc:        deps.NATS,
		metrics:   m,
		keys:      keyindex.New(cfg.MaxAPIKeys),
		plans:     newPlanIndex(),
		ready:     make(chan struct{}),
	}, nil
}

// Ready is closed once the service has loaded every API key and answers checks.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Run loads the API keys, answers checks until ctx is done, then drains in-flight checks and
// returns nil. It returns an error if the bucket or its watch fails.
func (s *Service) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("authz: Run called twice")
	}
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	wctx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWatch()
	w, err := kv.Watch(wctx, wire.KeyAPIKeysPrefix+">")
	if err != nil {
		return fmt.Errorf("watching API keys: %w", err)
	}
	defer func() { _ = w.Stop() }()

	if err := s.sync(ctx, w); err != nil || ctx.Err() != nil {
		return err
	}
	iw, err := s.loadIAMUsers(wctx, kv)
	if err != nil || ctx.Err() != nil {
		return err
	}
	defer func() { _ = iw.Stop() }()
	pw, err := s.watchPlans(wctx, kv)
	if err != nil || ctx.Err() != nil {
		return err
	}
	defer func() { _ = pw.Stop() }()
	csub, err := s.nc.QueueSubscribe(wire.SubjectAuthzCredentials, wire.QueueAuthz, s.handleCredentials)
	if err != nil {
		return fmt.Errorf("subscribing to credentials: %w", err)
	}
	defer func() { _ = csub.Unsubscribe() }()

	s.kv = kv
	sub, err := s.nc.QueueSubscribe(wire.SubjectAuthzCheck, wire.QueueAuthz, s.handle)
	if err != nil {
		return fmt.Errorf("subscribing to checks: %w", err)
	}
	if err := s.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("registering check subscription: %w", err)
	}
	close(s.ready)
	s.log.Info("authz ready", "api_keys", s.keys.Len())

	for {
		select {
		case <-ctx.Done():
			s.drain(sub)
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				_ = sub.Unsubscribe()
				return errors.New("authz: API key watch ended")
			}
			if e != nil {
				s.apply(e, true)
			}
		case e, ok := <-pw.Updates():
			if !ok {
				_ = sub.Unsubscribe()
				return errors.New("authz: usage plan watch ended")
			}
			if e != nil {
				s.applyPlan(e, true)
			}
		case e, ok := <-iw.Updates():
			if !ok {
				_ = sub.Unsubscribe()
				return errors.New("authz: IAM user watch ended")
			}
			if e != nil {
				s.applyIAMUser(e, true)
			}
		}
	}
}

// bucket creates the config bucket, or binds to it when another service created it first.
func (s *Service) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	js, err := jetstream.New(s.nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   wire.ConfigBucket,
		History:  5,
		Replicas: s.cfg.KVReplicas,
	})
	if err == nil {
		return kv, nil
	}
	// Already there (perhaps with another config, perhaps created concurrently): bind.
	kv, bindErr := js.KeyValue(ctx, wire.ConfigBucket)
	if bindErr != nil {
		return nil, fmt.Errorf("config bucket: create: %w; bind: %w", err, bindErr)
	}
	return kv, nil
}

// sync applies the watch's initial values until its end-of-initial-data marker.
func (s *Service) sync(ctx context.Context, w jetstream.KeyWatcher) error {
	timer := time.NewTimer(s.cfg.SyncTimeout)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
			return fmt.Errorf("authz: loading API keys took longer than %v", s.cfg.SyncTimeout)
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("authz: API key watch ended during load")
			}
			if e == nil {
				return nil
			}
			s.apply(e, false)
		}
	}
}

// apply updates the index from one KV entry and, when live, tells edges which key hashes
// changed.
func (s *Service) apply(e jetstream.KeyValueEntry, live bool) {
	id := strings.TrimPrefix(e.Key(), wire.KeyAPIKeysPrefix)
	var changed []string
	switch e.Operation() {
	case jetstream.KeyValuePut:
		k, err := keyindex.Decode(id, e.Value(), s.cfg.MaxRecordBytes)
		if err == nil {
			changed, err = s.keys.Put(k)
		}
		if err != nil {
			// A record authz cannot use must not leave its previous version in force.
			s.log.Error("api key record rejected", "key_id", id, "revision", e.Revision(), "err", err)
			if h, ok := s.keys.Delete(id); ok {
				changed = []string{h}
			}
		}
	default: // delete, purge
		if h, ok := s.keys.Delete(id); ok {
			changed = []string{h}
		}
	}
	s.metrics.apiKeys.Set(float64(s.keys.Len()))
	if !live {
		return
	}
	for _, h := range changed {
		s.invalidate(id, h)
	}
}

func (s *Service) invalidate(id, hash string) {
	body, err := wire.Marshal(wire.Invalidation{APIKeyHash: hash})
	if err == nil {
		err = s.nc.Publish(wire.SubjectAuthzInvalidate, body)
	}
	if err != nil {
		s.log.Error("publishing invalidation failed", "key_id", id, "err", err)
		return
	}
	s.metrics.invalidations.Inc()
	s.log.Debug("api key changed, invalidation published", "key_id", id, "hash_prefix", hash[:8])
}

// drain stops taking checks and waits, up to DrainTimeout, for the ones already queued.
func (s *Service) drain(sub *nats.Subscription) {
	closed := sub.StatusChanged(nats.SubscriptionClosed)
	if err := sub.Drain(); err != nil {
		_ = sub.Unsubscribe()
		return
	}
	t := time.NewTimer(s.cfg.DrainTimeout)
	defer t.Stop()
	select {
	case <-closed:
	case <-t.C:
		s.log.Warn("authz drain timed out")
		_ = sub.Unsubscribe()
	}
	// JWT checks run on goroutines of their own; their HTTP fetches are bounded by
	// FetchTimeout.
	s.jwtMu.Lock()
	s.jwtClosed = true
	s.jwtMu.Unlock()
	s.jwtWG.Wait()
}
