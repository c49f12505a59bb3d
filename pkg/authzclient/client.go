// Package authzclient is the edge's side of authorization: it asks the authz service over NATS
// (wire.SubjectAuthzCheck) and caches decisions locally, so that a warm check makes no network
// call and allocates nothing.
//
// # Cache
//
// A decision is cached under (API id, stage, whether an API key is required, SHA-256 of the
// API key, for a JWT authorizer its id, issuer, SHA-256 of the token and the route's scopes,
// invalidation generation). Method and path are not part of the key: API-key and JWT
// decisions depend only on the stage and, for JWT, the route's scopes. A JWT allow is cached
// no longer than the token lives (authz sets TTLSeconds so). Allows are cached for the decision's TTLSeconds (capped
// by Config.MaxTTL), Forbidden/Unauthorized denials for at most Config.DenyTTL, other answers
// not at all. Concurrent misses for one key send one request (otter's loading Get).
//
// # Invalidation
//
// Start subscribes to wire.SubjectAuthzInvalidate. An Invalidation names an API key by the hex
// SHA-256 of its value; the client bumps a generation counter of the key's stripe (one of
// 4096, chosen by the hash), so every entry made with that key (and with the few other keys
// sharing its stripe) is never read again and ages out. Invalidation.All (or a malformed
// message, a reconnect, or dropped invalidations) bumps a global epoch that retires every
// entry. The generation is read before a miss sends its request, so a decision that races
// with an invalidation is stored under the retired generation and never served.
//
// # Custom authorizers
//
// For a request with AuthzRequest.Custom, Check first reads the identity sources
// (IdentityValues): a missing or empty one is 401 UnauthorizedDecision at once, without a
// request to authz. Decisions are keyed by (API id, stage, authorizer id, SHA-256 of the
// identity-source values, API key), cached for the authorizer's TTL (TTLSeconds 0 = never;
// a REQUEST authorizer without identity sources is never cached). A decision carrying a
// Policy (a policy answer) is cached whole, allow or deny, and every request's MethodARN is
// evaluated against it (pkg/iampolicy): a cached policy allowing GET /pets answers DELETE
// /pets with ExplicitDenyDecision. Requests guarded by a custom authorizer wait up to
// Config.CustomTimeout.
//
// # IAM (SigV4)
//
// VerifySigV4 verifies a signature locally with pkg/sigv4, with the access key's credentials
// and policies fetched once from authz (wire.SubjectAuthzCredentials) and cached for
// Config.CredentialsTTL; an Invalidation with AccessKeyID (or All, a reconnect, dropped
// invalidations) drops them. It then evaluates execute-api:Invoke (VerifySigV4Action: any
// action, e.g. execute-api:ManageConnections) on the method ARN; root credentials pass.
package authzclient

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/maypok86/otter/v2"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

const (
	stripeCount = 4096 // power of two
	// watchInterval is how often Start's goroutine looks for reconnects and dropped
	// invalidations.
	watchInterval = time.Second
	// maxInvalidationBytes bounds an invalidation message.
	maxInvalidationBytes = 4 << 10
)

type cacheKey struct {
	apiID    string
	stage    string
	needKey  bool
	identity [sha256.Size]byte // SHA-256 of the API key; zero when there is none
	// JWT authorizer: its id and issuer, the SHA-256 of the token, the route's scopes.
	authorizer string
	issuer     string
	token      [sha256.Size]byte
	scopes     string
	// Custom authorizer: its id and the SHA-256 of its identity-source values.
	custom  string
	sources [sha256.Size]byte
	epoch   uint64
	gen     uint64
}

type entry struct {
	decision wire.AuthzDecision
	ttl      time.Duration
	// policy is a custom authorizer's policy document: the decision's Allow is evaluated
	// against each request's method ARN.
	policy *iampolicy.Policy
}

// Stats counts what the client did since New.
type Stats struct {
	Hits          uint64 // checks answered from the cache
	Misses        uint64 // checks that were not in the cache
	Requests      uint64 // requests sent to authz (misses minus coalesced ones)
	Invalidations uint64 // invalidation messages applied
}

// Client checks requests against authz with a local cache. It is safe for concurrent use.
type Client struct {
	nc     *nats.Conn
	cfg    Config
	cache  *otter.Cache[cacheKey, entry]
	tracer trace.Tracer
	log    *slog.Logger

	epoch   atomic.Uint64
	stripes [stripeCount]atomic.Uint64

	// IAM credentials (sigv4.go).
	creds    *otter.Cache[string, iamCreds]
	credGen  atomic.Uint64
	verifier *sigv4.Verifier

	hits, misses, requests, invalidations atomic.Uint64

	mu      sync.Mutex
	sub     *nats.Subscription
	stopped chan struct{}
}

// Option configures optional dependencies of a Client.
type Option func(*Client)

// WithTracerProvider sets the provider of the client's spans (default: otel's global one).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *Client) { c.tracer = tp.Tracer("github.com/portico/portico/pkg/authzclient") }
}

// WithLogger sets the client's logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// New validates cfg and builds a client over nc. It does no I/O; call Start to receive
// invalidations.
func New(nc *nats.Conn, cfg Config, opts ...Option) (*Client, error) {
	if nc == nil {
		return nil, errors.New("authzclient: nil NATS connection")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("authzclient config: %w", err)
	}
	c := &Client{
		nc:  nc,
		cfg: cfg,
		log: slog.New(slog.DiscardHandler),
	}
	WithTracerProvider(otel.GetTracerProvider())(c)
	for _, o := range opts {
		o(c)
	}
	cache, err := otter.New(&otter.Options[cacheKey, entry]{
		MaximumSize: cfg.MaxEntries,
		ExpiryCalculator: otter.ExpiryCreatingFunc(func(e otter.Entry[cacheKey, entry]) time.Duration {
			return e.Value.ttl
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("authzclient cache: %w", err)
	}
	c.cache = cache
	if err := c.newCredentialCache(); err != nil {
		return nil, err
	}
	return c, nil
}

// Start subscribes to invalidations and returns once the server has registered the
// subscription. The subscription ends when ctx is done or Close is called.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sub != nil {
		return errors.New("authzclient: already started")
	}
	sub, err := c.nc.Subscribe(wire.SubjectAuthzInvalidate, c.onInvalidate)
	if err != nil {
		return fmt.Errorf("subscribing to invalidations: %w", err)
	}
	// Invalidations must not be dropped silently: allow a deep queue, and treat drops as
	// "invalidate everything" (see watch).
	if err := sub.SetPendingLimits(1<<20, 64<<20); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("invalidation pending limits: %w", err)
	}
	fctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	err = c.nc.FlushWithContext(fctx)
	cancel()
	if err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("registering invalidation subscription: %w", err)
	}
	c.sub = sub
	c.stopped = make(chan struct{})
	// Anything cached before the subscription existed may have missed an invalidation.
	c.retireAll()
	go c.watch(ctx, sub, c.stopped)
	return nil
}

// watch retires every entry when the connection reconnected or the subscription dropped
// messages (an invalidation may be lost either way), and unsubscribes when ctx is done.
func (c *Client) watch(ctx context.Context, sub *nats.Subscription, stopped chan struct{}) {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	reconnects := c.nc.Stats().Reconnects
	var dropped int
	for {
		select {
		case <-ctx.Done():
			c.Close()
			return
		case <-stopped:
			return
		case <-t.C:
			r := c.nc.Stats().Reconnects
			d, err := sub.Dropped()
			if err != nil {
				d = dropped
			}
			if r != reconnects || d != dropped {
				c.log.Warn("authz invalidations may have been missed, dropping cached decisions",
					"reconnects", r, "dropped", d)
				reconnects, dropped = r, d
				c.retireAll()
			}
		}
	}
}

// Close unsubscribes from invalidations and retires every cached decision (without
// invalidations the cache cannot be trusted). Check keeps working afterwards; Start may be
// called again.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sub != nil {
		_ = c.sub.Unsubscribe()
		close(c.stopped)
		c.sub = nil
		c.retireAll()
	}
}

// retireAll retires every cached decision and credential.
func (c *Client) retireAll() {
	c.epoch.Add(1)
	c.dropCredentials()
}

func (c *Client) onInvalidate(msg *nats.Msg) {
	c.invalidations.Add(1)
	var inv wire.Invalidation
	if len(msg.Data) > maxInvalidationBytes || wire.Unmarshal(msg.Data, &inv) != nil {
		c.log.Warn("malformed authz invalidation, dropping all cached decisions")
		c.retireAll()
		return
	}
	c.Invalidate(inv)
}

// Invalidate applies inv locally: All retires every entry (and cached credential), APIKeyHash
// every entry made with that key, AccessKeyID that IAM key's cached credentials. A hash that is not 64 hex digits retires everything.
func (c *Client) Invalidate(inv wire.Invalidation) {
	if inv.All {
		c.retireAll()
		return
	}
	if inv.AccessKeyID != "" {
		c.dropAccessKey(inv.AccessKeyID)
	}
	if inv.APIKeyHash == "" {
		return
	}
	sum, ok := ParseKeyHash(inv.APIKeyHash)
	if !ok {
		c.retireAll()
		return
	}
	c.stripes[stripeOf(&sum)].Add(1)
}

// ParseKeyHash decodes the hex SHA-256 of an API key (model.HashAPIKey's form).
func ParseKeyHash(s string) (sum [sha256.Size]byte, ok bool) {
	if len(s) != hex.EncodedLen(sha256.Size) {
		return sum, false
	}
	if _, err := hex.Decode(sum[:], unsafe.Slice(unsafe.StringData(s), len(s))); err != nil {
		return sum, false
	}
	return sum, true
}

func stripeOf(sum *[sha256.Size]byte) uint64 {
	return binary.LittleEndian.Uint64(sum[:8]) & (stripeCount - 1)
}

func (c *Client) key(req *wire.AuthzRequest) cacheKey {
	k := cacheKey{apiID: req.APIID, stage: req.Stage, needKey: req.NeedAPIKey}
	if req.APIKey != "" {
		k.identity = sha256.Sum256(unsafe.Slice(unsafe.StringData(req.APIKey), len(req.APIKey)))
	}
	if req.JWT != nil {
		k.authorizer, k.issuer = req.JWT.ID, req.JWT.Issuer
		k.token = sha256.Sum256(unsafe.Slice(unsafe.StringData(req.Token), len(req.Token)))
		switch len(req.Scopes) {
		case 0:
		case 1:
			k.scopes = req.Scopes[0]
		default:
			k.scopes = strings.Join(req.Scopes, "\x00")
		}
	}
	if req.Custom != nil {
		k.custom = req.Custom.ID
		k.sources = SourcesDigest(req)
	}
	k.epoch = c.epoch.Load()
	k.gen = c.stripes[stripeOf(&k.identity)].Load()
	return k
}

// Check returns authz's decision for req, from the cache when it can. The decision's Context
// map is shared with the cache: read it, never modify it. The error is ErrUnavailable,
// ErrTimeout, ErrBadReply or the caller's context error; see HTTPStatus.
func (c *Client) Check(ctx context.Context, req *wire.AuthzRequest) (wire.AuthzDecision, error) {
	if req.Custom != nil {
		return c.checkCustom(ctx, req)
	}
	return c.check(ctx, req)
}

func (c *Client) check(ctx context.Context, req *wire.AuthzRequest) (wire.AuthzDecision, error) {
	k := c.key(req)
	if e, ok := c.cache.GetIfPresent(k); ok {
		c.hits.Add(1)
		return e.resolve(req), nil
	}
	c.misses.Add(1)
	e, err := c.cache.Get(ctx, k, otter.LoaderFunc[cacheKey, entry](func(ctx context.Context, _ cacheKey) (entry, error) {
		return c.fetch(ctx, req)
	}))
	if err != nil {
		var u *uncached
		if errors.As(err, &u) {
			return u.decision, nil
		}
		return wire.AuthzDecision{}, err
	}
	return e.resolve(req), nil
}

// uncached carries a decision that must not be cached out of the loader as an error (otter
// caches every value a loader returns, and only errors are left out), to every caller that
// waited for the load.
type uncached struct{ decision wire.AuthzDecision }

func (*uncached) Error() string { return "authzclient: uncacheable decision" }

// fetch sends one request to authz.
func (c *Client) fetch(ctx context.Context, req *wire.AuthzRequest) (entry, error) {
	c.requests.Add(1)
	ctx, span := c.tracer.Start(ctx, "authz check", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("portico.api_id", req.APIID),
			attribute.String("portico.stage", req.Stage),
		))
	defer span.End()

	e, err := c.request(ctx, req)
	var u *uncached
	if errors.As(err, &u) {
		span.SetAttributes(attribute.Bool("portico.authz.allow", u.decision.Allow))
		return e, err
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "authz check failed")
		return entry{}, err
	}
	span.SetAttributes(attribute.Bool("portico.authz.allow", e.decision.Allow))
	return e, nil
}

func (c *Client) request(ctx context.Context, req *wire.AuthzRequest) (entry, error) {
	body, err := wire.Marshal(req)
	if err != nil {
		return entry{}, fmt.Errorf("encoding authz request: %w", err)
	}
	msg := &nats.Msg{Subject: wire.SubjectAuthzCheck, Data: body}
	telemetry.Inject(ctx, msg)

	timeout := c.cfg.Timeout
	if req.Custom != nil {
		timeout = c.cfg.CustomTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	reply, err := c.nc.RequestMsgWithContext(rctx, msg)
	if err != nil {
		return entry{}, c.mapError(ctx, err)
	}
	if len(reply.Data) > c.cfg.MaxReplyBytes {
		return entry{}, fmt.Errorf("%w: %d bytes", ErrBadReply, len(reply.Data))
	}
	var d wire.AuthzDecision
	if err := wire.Unmarshal(reply.Data, &d); err != nil {
		return entry{}, fmt.Errorf("%w: %v", ErrBadReply, err)
	}
	e := entry{decision: d}
	if len(d.Policy) > 0 {
		// A custom authorizer's policy: cached whole for the authorizer's TTL, allow or deny.
		p, err := iampolicy.Parse(d.Policy)
		if err != nil {
			return entry{}, fmt.Errorf("%w: policy: %v", ErrBadReply, err)
		}
		e.policy = p
		e.decision.Policy = nil
	}
	e.ttl = c.ttlOf(&d, e.policy != nil)
	if e.ttl <= 0 || (req.Custom != nil && !cacheableCustom(req)) {
		return entry{}, &uncached{decision: d}
	}
	return e, nil
}

func (c *Client) mapError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("authz check: %w", ctx.Err())
	case errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, nats.ErrConnectionReconnecting):
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return ErrTimeout
	default:
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
}

// ttlOf is how long a decision may be cached: 0 (not at all) for anything but an allow or a
// Forbidden/Unauthorized denial.
func (c *Client) ttlOf(d *wire.AuthzDecision, policy bool) time.Duration {
	if d.TTLSeconds <= 0 {
		return 0
	}
	ttl := time.Duration(d.TTLSeconds) * time.Second
	limit := c.cfg.MaxTTL
	if !d.Allow && !policy {
		if d.Code != wire.CodeForbidden && d.Code != wire.CodeUnauthorized {
			return 0
		}
		limit = c.cfg.DenyTTL
	}
	return min(ttl, limit)
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Hits:          c.hits.Load(),
		Misses:        c.misses.Load(),
		Requests:      c.requests.Load(),
		Invalidations: c.invalidations.Load(),
	}
}
