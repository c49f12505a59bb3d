package edge

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/nats-io/nats.go"
	"github.com/valyala/fasthttp"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
)

// The stage cache (API Gateway's REST API caching), in this edge's memory. A REST stage with
// cacheClusterEnabled caches the answers of the methods whose effective method setting
// ("{resourcePath}/{METHOD}", else the stage's "*/*", which enables GET methods only, as AWS)
// has cachingEnabled and a TTL above 0. The lookup runs after authorization, validation and
// throttling, before the integration; a hit answers without calling it.
//
// The key is AWS's: the stage, the method, the integration's cacheNamespace (the resource id
// by default) and the values of its cacheKeyParameters — not the URL, so two requests that
// differ only in a parameter that is not a key share an entry.

// MaxCacheEntryBytes is the largest response cached (AWS's limit).
const MaxCacheEntryBytes = 1 << 20

// cacheWarning is the Warning AWS adds when it ignores an unauthorized Cache-Control.
const cacheWarning = "199 Cache-control headers were ignored because the caller was unauthorized."

// actionInvalidateCache is the IAM action a caller needs to invalidate an entry.
const actionInvalidateCache = "execute-api:InvalidateCache"

// cacheEntryOverhead is what an entry is counted for beyond its key, headers and body.
const cacheEntryOverhead = 128

// responseCache (Service.cache; nil when off) holds every stage's entries in one store
// bounded by the edge's CacheMaxBytes; each stage is bounded by its cacheClusterSize too.
type responseCache struct {
	entries *otter.Cache[string, *cachedResponse]
	mu      sync.Mutex // serialises the replacement of stages
	stages  sync.Map   // apiID/stage → *stageCache
}

// stageCache is one stage's part of the cache, as made under one cacheClusterSize. Emptying
// a stage replaces it with a stageCache of the next generation, which every key carries:
// entries of an older generation are never read again, and are swept.
type stageCache struct {
	prefix string // apiID + "/" + stage + "\x00"
	gen    uint64
	size   string
	bytes  atomic.Int64
}

// cachedResponse is an integration's answer as the client got it, less the per-request and
// hop-by-hop headers.
type cachedResponse struct {
	status  int
	headers [][2]string
	body    []byte
	ttl     time.Duration
	weight  uint32
	stage   *stageCache
}

func newResponseCache(maxBytes int64) (*responseCache, error) {
	entries, err := otter.New(&otter.Options[string, *cachedResponse]{
		MaximumWeight:    uint64(maxBytes),
		Weigher:          func(_ string, v *cachedResponse) uint32 { return v.weight },
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *cachedResponse]) time.Duration { return e.Value.ttl }),
		OnDeletion: func(e otter.DeletionEvent[string, *cachedResponse]) {
			e.Value.stage.bytes.Add(-int64(e.Value.weight))
		},
	})
	if err != nil {
		return nil, fmt.Errorf("edge: stage cache: %w", err)
	}
	return &responseCache{entries: entries}, nil
}

// stage is the cache of stage key (apiID/stage) with cacheClusterSize size; a changed size
// empties it, as AWS recreates the cache cluster.
func (c *responseCache) stage(key, size string) *stageCache {
	if v, ok := c.stages.Load(key); ok && v.(*stageCache).size == size {
		return v.(*stageCache)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.stages.Load(key)
	if ok && v.(*stageCache).size == size {
		return v.(*stageCache)
	}
	sc := &stageCache{prefix: key + "\x00", size: size}
	if ok {
		sc.gen = v.(*stageCache).gen + 1
		c.sweep(v.(*stageCache))
	}
	c.stages.Store(key, sc)
	return sc
}

// flush empties stage key (apiID/stage).
func (c *responseCache) flush(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.stages.Load(key); ok {
		old := v.(*stageCache)
		sc := &stageCache{prefix: old.prefix, gen: old.gen + 1, size: old.size}
		c.stages.Store(key, sc)
		c.sweep(old)
	}
}

// drop forgets stage key, whose cache was turned off, as AWS deletes the cache cluster.
// stageCache empties the cache of a stage served with caching turned off, so that turning it
// on again never serves what was cached before.
func (s *Service) stageCache(st *stageState) {
	if s.cache != nil && !st.stage.CacheClusterEnabled && !st.isCanary {
		s.cache.drop(st.throttleKey)
	}
}

func (c *responseCache) drop(key string) {
	if _, ok := c.stages.Load(key); !ok {
		return
	}
	c.flush(key)
}

// sweep invalidates the entries of a stage cache that was replaced.
func (c *responseCache) sweep(old *stageCache) {
	gen := old.prefix + strconv.FormatUint(old.gen, 10) + "\x00"
	for k := range c.entries.Keys() {
		if strings.HasPrefix(k, gen) {
			c.entries.Invalidate(k)
		}
	}
}

// stageLimit is a stage's byte bound: its cacheClusterSize in GB.
func stageLimit(size string) int64 {
	gb, err := strconv.ParseFloat(size, 64)
	if err != nil || gb <= 0 {
		gb, _ = strconv.ParseFloat(model.DefaultCacheClusterSize, 64)
	}
	return int64(gb * (1 << 30))
}

// cachePlan is how one request uses the cache, made by cacheLookup for cacheStore.
type cachePlan struct {
	key   string
	ttl   time.Duration
	stage *stageCache
	limit int64
	warn  bool // the caller's Cache-Control was ignored: say so
}

// cacheSetting is the method setting that decides whether r is cached; ok is false when it
// is not.
func cacheSetting(st *stageState, t *target, method string) (ms model.MethodSetting, ok bool) {
	if !st.stage.CacheClusterEnabled || st.protocol() != model.ProtocolREST {
		return ms, false
	}
	defined := t.method
	if defined == "ANY" {
		defined = method
	}
	ms, own := st.stage.MethodSettings[MethodSettingKey(t.resourcePath, defined)]
	if !own {
		if method != fasthttp.MethodGet {
			return ms, false // the stage-wide setting caches GET methods only
		}
		if ms, ok = st.stage.MethodSettings[model.StageDefaults]; !ok {
			return ms, false
		}
	}
	return ms, ms.CachingEnabled && ms.CacheTTL() > 0
}

// usesStageCache reports whether a request served by st may use the stage cache: a canary's
// requests only with canarySettings.useStageCache.
func (s *Service) usesStageCache(st *stageState) bool {
	if !st.isCanary {
		return true
	}
	parent := s.stageOf(st.apiID, st.name)
	return parent != nil && parent.stage.CanarySettings != nil && parent.stage.CanarySettings.UseStageCache
}

// cacheLookup answers r from the stage cache when it can (hit, or FAIL_WITH_403 for an
// unauthorized invalidation): answered is true and the response is written. Otherwise the
// plan, when not nil, is for cacheStore after the integration.
func (s *Service) cacheLookup(ctx context.Context, r *request) (plan *cachePlan, answered bool) {
	if s.cache == nil || r.t == nil {
		return nil, false
	}
	st := r.st
	if !st.stage.CacheClusterEnabled { // its entries went when the stage was served so (stageCache)
		return nil, false
	}
	method := methodString(r.ctx.Method())
	ms, ok := cacheSetting(st, r.t, method)
	if !ok || !s.usesStageCache(st) {
		return nil, false
	}
	sc := s.cache.stage(st.throttleKey, st.stage.CacheClusterSize)
	plan = &cachePlan{ttl: time.Duration(min(ms.CacheTTL(), model.MaxCacheTTLSeconds)) * time.Second,
		stage: sc, limit: stageLimit(st.stage.CacheClusterSize)}
	plan.key = cacheKey(sc, method, r)
	read := true
	if invalidates(&r.ctx.Request.Header) {
		switch {
		case !ms.RequiresCacheControlAuth() || s.mayInvalidate(ctx, r):
			read = false // fetch afresh and store
		case ms.CacheControlStrategy() == model.CacheControlFail:
			s.gatewayError(r, gw.AccessDenied, "")
			return nil, true
		case ms.CacheControlStrategy() == model.CacheControlSucceedWithHeader:
			plan.warn = true
		}
	}
	if read {
		if v, hit := s.cache.entries.GetIfPresent(plan.key); hit {
			s.metrics.cacheHits.WithLabelValues(st.apiID, st.name).Inc()
			v.write(&r.ctx.Response)
			if plan.warn {
				r.ctx.Response.Header.Set("Warning", cacheWarning)
			}
			return nil, true
		}
	}
	s.metrics.cacheMisses.WithLabelValues(st.apiID, st.name).Inc()
	return plan, false
}

// cacheStore keeps the integration's answer under plan. Only 2XX answers are cached: an
// error (the backend's or the gateway's own) is never served again from the cache.
func (s *Service) cacheStore(r *request, plan *cachePlan) {
	if plan == nil {
		return
	}
	resp := &r.ctx.Response
	if plan.warn {
		resp.Header.Set("Warning", cacheWarning)
	}
	status := resp.StatusCode()
	if status < 200 || status > 299 || resp.IsBodyStream() {
		return
	}
	v := &cachedResponse{status: status, ttl: plan.ttl, stage: plan.stage}
	size := len(resp.Body())
	for k, val := range resp.Header.All() {
		if skipCachedHeader(k) {
			continue
		}
		v.headers = append(v.headers, [2]string{string(k), string(val)})
		size += len(k) + len(val)
	}
	if size > MaxCacheEntryBytes {
		return
	}
	weight := int64(size + len(plan.key) + cacheEntryOverhead)
	if plan.stage.bytes.Load()+weight > plan.limit {
		return // the stage's cache is full: best effort, as AWS's
	}
	v.body = bytes.Clone(resp.Body())
	v.weight = uint32(weight)
	plan.stage.bytes.Add(weight)
	s.cache.entries.Set(plan.key, v)
}

// write answers with the cached response; x-amzn-RequestId stays the request's own.
func (v *cachedResponse) write(resp *fasthttp.Response) {
	resp.SetStatusCode(v.status)
	for _, h := range v.headers {
		resp.Header.Add(h[0], h[1])
	}
	resp.SetBody(v.body)
}

// skipCachedHeader reports the headers a cached response does not keep: hop-by-hop ones,
// those the server computes for each answer, the request id and the cache warning.
func skipCachedHeader(k []byte) bool {
	switch strings.ToLower(string(k)) {
	case "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
		"transfer-encoding", "upgrade", "content-length", "date", "x-amzn-requestid", "warning":
		return true
	}
	return false
}

// invalidates reports whether the request asks for a fresh answer: Cache-Control: max-age=0.
func invalidates(h *fasthttp.RequestHeader) bool {
	for _, v := range h.PeekAll(fasthttp.HeaderCacheControl) {
		for d := range strings.SplitSeq(string(v), ",") {
			if strings.EqualFold(strings.TrimSpace(d), "max-age=0") {
				return true
			}
		}
	}
	return false
}

// actionVerifier verifies a SigV4 request for an IAM action other than execute-api:Invoke;
// pkg/authzclient's Client is one.
type actionVerifier interface {
	VerifySigV4Action(ctx context.Context, req *sigv4.Request, action, resourceARN, sourceIP string) (wire.AuthzDecision, error)
}

// mayInvalidate reports whether the caller may invalidate a cache entry: an AWS_IAM method's
// caller whose policies allow execute-api:InvalidateCache on the method (and whom the API's
// resource policy does not deny it). Other callers are not authorized.
func (s *Service) mayInvalidate(ctx context.Context, r *request) bool {
	v, ok := s.deps.Authz.(actionVerifier)
	if r.t.auth.typ != model.AuthIAM || !ok {
		return false
	}
	arn := s.methodARN(r)
	ip := r.ctx.RemoteIP().String()
	d, err := v.VerifySigV4Action(ctx, sigv4Request(r.ctx), actionInvalidateCache, arn, ip)
	if err != nil || !d.Allow {
		return false
	}
	return r.st.policy == nil || r.st.policy.Evaluate(&iampolicy.Request{Principal: d.PrincipalID,
		Action: actionInvalidateCache, Resource: arn, SourceIP: ip}) != iampolicy.ExplicitDeny
}

// cacheKey is the entry's key: the stage (and its flush generation), the method, the cache
// namespace and each cache key parameter's values, every part length-prefixed so that no
// two requests with different values share a key.
func cacheKey(sc *stageCache, method string, r *request) string {
	var b strings.Builder
	b.WriteString(sc.prefix)
	b.WriteString(strconv.FormatUint(sc.gen, 10))
	part := func(s string) {
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	in := r.t.integration
	ns := in.CacheNamespace
	if ns == "" {
		ns = r.t.resourceID
	}
	part(method)
	part(ns)
	for _, p := range in.CacheKeyParameters {
		part(p)
		src := p
		if mapped, ok := in.RequestParameters[p]; ok && strings.HasPrefix(p, "integration.request.") {
			src = mapped
		}
		for _, v := range keyValues(src, r) {
			part(v)
		}
	}
	return b.String()
}

// keyValues are the request's values of a parameter: method.request.{path, querystring,
// multivaluequerystring, header, multivalueheader}.X, or a 'literal'.
func keyValues(src string, r *request) []string {
	if len(src) >= 2 && src[0] == '\'' && src[len(src)-1] == '\'' {
		return []string{src[1 : len(src)-1]}
	}
	where, name, ok := strings.Cut(strings.TrimPrefix(src, "method.request."), ".")
	if !ok {
		return nil
	}
	c := r.ctx
	switch where {
	case "path":
		for _, p := range r.params {
			if p.Name == name {
				return []string{p.Value}
			}
		}
	case "querystring":
		if v := c.QueryArgs().PeekMulti(name); len(v) > 0 {
			return []string{string(v[len(v)-1])}
		}
	case "multivaluequerystring":
		return strs(c.QueryArgs().PeekMulti(name))
	case "header":
		if v := c.Request.Header.Peek(name); v != nil {
			return []string{string(v)}
		}
	case "multivalueheader":
		return strs(c.Request.Header.PeekAll(name))
	}
	return nil
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// authzFlusher drops every cached authorizer decision; pkg/authzclient's Client is one.
type authzFlusher interface {
	Invalidate(wire.Invalidation)
}

// startCache makes the stage cache and subscribes to flushes; stop unsubscribes.
func (s *Service) startCache() (stop func(), err error) {
	if s.cfg.CacheMaxBytes > 0 {
		c, err := newResponseCache(s.cfg.CacheMaxBytes)
		if err != nil {
			return nil, err
		}
		s.cache = c
	}
	sub, err := s.deps.NATS.Subscribe(wire.SubjectCacheFlush, s.onCacheFlush)
	if err != nil {
		return nil, fmt.Errorf("edge: subscribing to cache flushes: %w", err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}

// onCacheFlush empties a stage's response cache, or the cached authorizer decisions (the
// authz client's cache is edge-wide: all of them go, which is more than AWS drops, never
// less).
func (s *Service) onCacheFlush(msg *nats.Msg) {
	var f wire.CacheFlush
	if err := wire.Unmarshal(msg.Data, &f); err != nil {
		s.log.Warn("malformed cache flush", "err", err)
		return
	}
	switch f.Scope {
	case wire.CacheFlushData:
		if s.cache != nil {
			s.cache.flush(f.APIID + "/" + f.Stage)
		}
	case wire.CacheFlushAuthorizers:
		if a, ok := s.deps.Authz.(authzFlusher); ok {
			a.Invalidate(wire.Invalidation{All: true})
		}
	default:
		s.log.Warn("cache flush of an unknown scope", "scope", f.Scope)
	}
	s.log.Info("stage cache flushed", "api_id", f.APIID, "stage", f.Stage, "scope", f.Scope)
}
