package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/valyala/fasthttp"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
)

// countingBackend is a NATS_PROXY backend on subject whose every answer names its call
// number ("call 3"); a query with fail=1 gets a 500.
func countingBackend(t *testing.T, h *harness, subject string) *atomic.Int64 {
	t.Helper()
	var calls atomic.Int64
	sub, err := h.nc.Subscribe(subject, func(m *nats.Msg) {
		n := calls.Add(1)
		reply := nats.NewMsg(m.Reply)
		reply.Data = fmt.Appendf(nil, "call %d", n)
		reply.Header.Set("Content-Type", "text/plain")
		reply.Header.Set("X-Backend", "b1")
		if strings.Contains(m.Header.Get(wire.HeaderQuery), "fail=1") {
			reply.Header.Set(wire.HeaderStatus, "500")
		}
		_ = m.RespondMsg(reply)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := h.nc.Flush(); err != nil { // the server holds the subscription before the edge calls it
		t.Fatal(err)
	}
	return &calls
}

// deployStage stores api as a deployment served by st (its DeploymentID is set here) and
// waits until the edge serves it.
func (h *harness) deployStage(api model.RestAPI, st model.Stage) {
	h.t.Helper()
	depID := fmt.Sprintf("d%d", time.Now().UnixNano())
	st.APIID, st.DeploymentID = api.ID, depID
	if st.CanarySettings != nil {
		st.CanarySettings.DeploymentID = depID
	}
	for _, kv := range []struct {
		k string
		v any
	}{{wire.KeyDeployment(api.ID, depID), model.Deployment{ID: depID, APIID: api.ID, API: api}}, {wire.KeyStage(api.ID, st.StageName), st}} {
		b, _ := json.Marshal(kv.v)
		if _, err := h.kv.Put(context.Background(), kv.k, b); err != nil {
			h.t.Fatal(err)
		}
	}
	natstest.Eventually(h.t, 10*time.Second, func() error {
		if s := (*h.svc.tables.Load())[api.ID+"/"+st.StageName]; s == nil || s.deploymentID != depID {
			return fmt.Errorf("stage %s/%s not served yet", api.ID, st.StageName)
		}
		return nil
	})
}

func counterValue(t *testing.T, c *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.WithLabelValues(labels...).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func ptr[T any](v T) *T { return &v }

// petsAPI is GET and POST /pets/{petId} on a NATS_PROXY backend, keyed by the petId path
// parameter, the id query string and the X-Tenant header.
func petsAPI(id, subject, auth string) model.RestAPI {
	in := &model.Integration{Type: model.IntegrationNATSProxy, URI: subject, CacheKeyParameters: []string{
		"method.request.path.petId", "method.request.querystring.id", "method.request.header.X-Tenant"}}
	return restAPI(id, resource("/pets/{petId}", map[string]model.Method{
		"GET":  {HTTPMethod: "GET", AuthorizationType: auth, MethodIntegration: in},
		"POST": {HTTPMethod: "POST", AuthorizationType: auth, MethodIntegration: in},
	}))
}

func cachedStage(name string, settings map[string]model.MethodSetting) model.Stage {
	return model.Stage{StageName: name, CacheClusterEnabled: true, CacheClusterSize: "0.5", MethodSettings: settings}
}

var stageCaching = map[string]model.MethodSetting{model.StageDefaults: {CachingEnabled: true}}

// TestStageCacheKeys: a repeated request is answered from the cache, with the original's
// status, headers and body (and its own request id); requests that differ only in a
// parameter that is not a cache key share the entry, as in AWS; a different key value misses.
func TestStageCacheKeys(t *testing.T) {
	h := newHarness(t)
	calls := countingBackend(t, h, "cache.keys")
	h.deployStage(petsAPI("cachekeys1", "cache.keys", "NONE"), cachedStage("prod", stageCaching))
	p := func(path string) string { return restPath("cachekeys1", "prod", path) }

	first := h.do("GET", p("/pets/1?id=a"), "")
	expectResp(t, "first GET", first, 200, "call 1")
	again := h.do("GET", p("/pets/1?id=a"), "")
	expectResp(t, "repeated GET", again, 200, "call 1")
	for _, name := range []string{"Content-Type", "X-Backend"} {
		if again.header.Get(name) != first.header.Get(name) {
			t.Errorf("cached %s = %q, want %q", name, again.header.Get(name), first.header.Get(name))
		}
	}
	if a, b := first.header.Get("x-amzn-RequestId"), again.header.Get("x-amzn-RequestId"); a == "" || a == b {
		t.Errorf("request ids %q and %q: want each request's own", a, b)
	}
	for _, tt := range []struct {
		name, path string
		hdr        []string
		want       string
	}{
		{"other query parameter shares the entry", "/pets/1?id=a&page=2", nil, "call 1"},
		{"other header shares the entry", "/pets/1?id=a", []string{"X-Other", "x"}, "call 1"},
		{"query key differs", "/pets/1?id=b", nil, "call 2"},
		{"path key differs", "/pets/2?id=a", nil, "call 3"},
		{"header key differs", "/pets/1?id=a", []string{"X-Tenant", "t2"}, "call 4"},
		{"header key entry hits", "/pets/1?id=a", []string{"X-Tenant", "t2"}, "call 4"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			expectResp(t, "GET "+tt.path, h.do("GET", p(tt.path), "", tt.hdr...), 200, tt.want)
		})
	}
	if got := calls.Load(); got != 4 {
		t.Errorf("backend calls = %d, want 4", got)
	}
	m := h.svc.metrics
	if hits, misses := counterValue(t, m.cacheHits, "cachekeys1", "prod"), counterValue(t, m.cacheMisses, "cachekeys1", "prod"); hits != 4 || misses != 4 {
		t.Errorf("hits, misses = %v, %v, want 4, 4", hits, misses)
	}
}

// TestStageCacheNotCached: what the cache leaves alone.
func TestStageCacheNotCached(t *testing.T) {
	h := newHarness(t)
	calls := countingBackend(t, h, "cache.off")
	h.deployStage(petsAPI("cacheoff01", "cache.off", "NONE"), model.Stage{StageName: "nocluster", MethodSettings: stageCaching})
	h.deployStage(petsAPI("cacheoff01", "cache.off", "NONE"), cachedStage("prod", stageCaching))
	h.deployStage(petsAPI("cacheoff01", "cache.off", "NONE"), cachedStage("zero", map[string]model.MethodSetting{
		model.StageDefaults: {CachingEnabled: true, CacheTTLInSeconds: ptr(0)}}))
	h.deployStage(petsAPI("cacheoff01", "cache.off", "NONE"), cachedStage("off", map[string]model.MethodSetting{
		model.StageDefaults: {CachingEnabled: true}, "~1pets~1{petId}/GET": {CachingEnabled: false}}))
	for _, tt := range []struct{ name, method, stage, path string }{
		{"stage without a cache cluster", "GET", "nocluster", "/pets/1"},
		{"POST under the stage-wide setting", "POST", "prod", "/pets/1"},
		{"non-2XX answer", "GET", "prod", "/pets/1?fail=1"},
		{"TTL 0", "GET", "zero", "/pets/1"},
		{"method setting turns caching off", "GET", "off", "/pets/1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := calls.Load()
			h.do(tt.method, restPath("cacheoff01", tt.stage, tt.path), "")
			h.do(tt.method, restPath("cacheoff01", tt.stage, tt.path), "")
			if got := calls.Load() - before; got != 2 {
				t.Errorf("backend calls for two requests = %d, want 2", got)
			}
		})
	}
}

// TestStageCacheOversized: an answer above AWS's 1,048,576 bytes is not cached.
func TestStageCacheOversized(t *testing.T) {
	h := newHarness(t)
	var calls atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		n := MaxCacheEntryBytes + 1
		if r.URL.Query().Get("small") != "" {
			n = 10
		}
		fmt.Fprint(w, strings.Repeat("x", n))
	}))
	defer backend.Close()
	api := restAPI("cachebig01", resource("/big", map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationHTTPProxy, HTTPMethod: "GET", URI: backend.URL + "/big",
			CacheKeyParameters: []string{"method.request.querystring.small"}}}}))
	h.deployStage(api, cachedStage("prod", stageCaching))
	for _, tt := range []struct {
		name, query string
		want        int64
	}{{"over the limit", "", 2}, {"under the limit", "?small=1", 1}} {
		t.Run(tt.name, func(t *testing.T) {
			before := calls.Load()
			for range 2 {
				if r := h.do("GET", restPath("cachebig01", "prod", "/big"+tt.query), ""); r.status != 200 {
					t.Fatalf("GET = %d", r.status)
				}
			}
			if got := calls.Load() - before; got != tt.want {
				t.Errorf("backend calls = %d, want %d", got, tt.want)
			}
		})
	}
}

// invalidator is an authorizer whose IAM callers may invalidate cache entries when allowed.
type invalidator struct {
	allowAll
	allowed bool
}

func (v invalidator) VerifySigV4Action(_ context.Context, _ *sigv4.Request, action, _, _ string) (wire.AuthzDecision, error) {
	return wire.AuthzDecision{Allow: v.allowed && action == actionInvalidateCache, PrincipalID: "arn:aws:iam::000000000000:user/u"}, nil
}

// TestStageCacheControl: Cache-Control: max-age=0 refreshes the entry for an authorized
// caller (or when no authorization is required), and otherwise gets the method's strategy.
func TestStageCacheControl(t *testing.T) {
	settings := func(require bool, strategy string) map[string]model.MethodSetting {
		return map[string]model.MethodSetting{model.StageDefaults: {CachingEnabled: true,
			RequireAuthorizationForCacheControl: &require, UnauthorizedCacheControlHeaderStrategy: strategy}}
	}
	for _, tt := range []struct {
		name     string
		auth     string
		allowed  bool
		settings map[string]model.MethodSetting
		status   int
		body     string // of the max-age=0 request ("call 1": the cached answer)
		warning  string
		after    string // of a plain request afterwards
	}{
		{name: "no authorization required", auth: "NONE", settings: settings(false, ""), status: 200, body: "call 2", after: "call 2"},
		{name: "default strategy warns", auth: "NONE", settings: stageCaching, status: 200, body: "call 1", warning: cacheWarning, after: "call 1"},
		{name: "succeed without header", auth: "NONE", settings: settings(true, model.CacheControlSucceedWithoutHeader), status: 200, body: "call 1", after: "call 1"},
		{name: "fail with 403", auth: "NONE", settings: settings(true, model.CacheControlFail), status: 403,
			body: `{"message":"User is not authorized to access this resource"}`, after: "call 1"},
		{name: "IAM caller allowed to invalidate", auth: model.AuthIAM, allowed: true, settings: settings(true, model.CacheControlFail), status: 200, body: "call 2", after: "call 2"},
		{name: "IAM caller not allowed", auth: model.AuthIAM, settings: settings(true, model.CacheControlFail), status: 403,
			body: `{"message":"User is not authorized to access this resource"}`, after: "call 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, invalidator{allowed: tt.allowed})
			countingBackend(t, h, "cache.ctl")
			h.deployStage(petsAPI("cachectl01", "cache.ctl", tt.auth), cachedStage("prod", tt.settings))
			p := restPath("cachectl01", "prod", "/pets/1")
			expectResp(t, "first GET", h.do("GET", p, ""), 200, "call 1")
			r := h.do("GET", p, "", "Cache-Control", "max-age=0")
			expectResp(t, "GET with max-age=0", r, tt.status, tt.body)
			if got := r.header.Get("Warning"); got != tt.warning {
				t.Errorf("Warning = %q, want %q", got, tt.warning)
			}
			expectResp(t, "GET afterwards", h.do("GET", p, ""), 200, tt.after)
		})
	}
}

// TestStageCacheFlush: a CacheFlush empties the stage's cache (and only that stage's); an
// authorizers flush drops the authz client's cached decisions.
func TestStageCacheFlush(t *testing.T) {
	authz := &flushRecorder{}
	h := newHarnessWith(t, authz)
	calls := countingBackend(t, h, "cache.flush")
	h.deployStage(petsAPI("cacheflush", "cache.flush", "NONE"), cachedStage("a", stageCaching))
	h.deployStage(petsAPI("cacheflush", "cache.flush", "NONE"), cachedStage("b", stageCaching))
	get := func(stage string) string { return h.do("GET", restPath("cacheflush", stage, "/pets/1"), "").body }
	if a, b := get("a"), get("b"); a != "call 1" || b != "call 2" {
		t.Fatalf("first answers %q %q", a, b)
	}
	publish := func(f wire.CacheFlush) {
		b, _ := wire.Marshal(f)
		if err := h.nc.Publish(wire.SubjectCacheFlush, b); err != nil {
			t.Fatal(err)
		}
	}
	publish(wire.CacheFlush{APIID: "cacheflush", Stage: "a", Scope: wire.CacheFlushData})
	natstest.Eventually(t, 10*time.Second, func() error {
		if got := get("a"); got == "call 1" {
			return fmt.Errorf("stage a still answers from the cache")
		}
		return nil
	})
	if got := get("b"); got != "call 2" {
		t.Errorf("stage b after flushing a = %q, want its cached call 2", got)
	}
	publish(wire.CacheFlush{APIID: "cacheflush", Stage: "a", Scope: wire.CacheFlushAuthorizers})
	natstest.Eventually(t, 10*time.Second, func() error {
		if authz.flushed.Load() == 0 {
			return fmt.Errorf("authorizer cache not flushed")
		}
		return nil
	})
	if n := calls.Load(); n != 3 {
		t.Errorf("backend calls = %d, want 3", n)
	}
}

type flushRecorder struct {
	allowAll
	flushed atomic.Int64
}

func (f *flushRecorder) Invalidate(inv wire.Invalidation) {
	if inv.All {
		f.flushed.Add(1)
	}
}

// TestStageCacheCanary: canary requests use the stage cache only with useStageCache.
func TestStageCacheCanary(t *testing.T) {
	for _, tt := range []struct {
		name  string
		use   bool
		calls int64
	}{{"without useStageCache", false, 2}, {"with useStageCache", true, 1}} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			calls := countingBackend(t, h, "cache.canary")
			st := cachedStage("prod", stageCaching)
			st.CanarySettings = &model.CanarySettings{PercentTraffic: 100, UseStageCache: tt.use}
			h.deployStage(petsAPI("cachecnry1", "cache.canary", "NONE"), st)
			natstest.Eventually(t, 10*time.Second, func() error {
				if s := (*h.svc.tables.Load())["cachecnry1/prod"]; s == nil || s.canary == nil {
					return fmt.Errorf("canary not served yet")
				}
				return nil
			})
			for range 2 {
				h.do("GET", restPath("cachecnry1", "prod", "/pets/1"), "")
			}
			if got := calls.Load(); got != tt.calls {
				t.Errorf("backend calls = %d, want %d", got, tt.calls)
			}
		})
	}
}

// TestStageCacheSizeChange: changing cacheClusterSize, or turning the cache off, empties the
// stage's cache, as AWS recreates (deletes) the cluster.
func TestStageCacheSizeChange(t *testing.T) {
	h := newHarness(t)
	countingBackend(t, h, "cache.size")
	api := petsAPI("cachesize1", "cache.size", "NONE")
	h.deployStage(api, cachedStage("prod", stageCaching))
	p := restPath("cachesize1", "prod", "/pets/1")
	h.do("GET", p, "")
	expectResp(t, "cached", h.do("GET", p, ""), 200, "call 1")
	st := cachedStage("prod", stageCaching)
	st.CacheClusterSize = "1.6"
	h.deployStage(api, st)
	expectResp(t, "after resizing", h.do("GET", p, ""), 200, "call 2")
	st.CacheClusterEnabled = false
	h.deployStage(api, st)
	expectResp(t, "cache off", h.do("GET", p, ""), 200, "call 3")
	st.CacheClusterEnabled = true
	h.deployStage(api, st)
	expectResp(t, "cache on again", h.do("GET", p, ""), 200, "call 4")
	expectResp(t, "cached again", h.do("GET", p, ""), 200, "call 4")
	// Off and on again with no request in between: what was cached before is gone all the same.
	st.CacheClusterEnabled = false
	h.deployStage(api, st)
	st.CacheClusterEnabled = true
	h.deployStage(api, st)
	expectResp(t, "off and on without a request", h.do("GET", p, ""), 200, "call 5")
}

func TestInvalidates(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values []string
		want   bool
	}{
		{"max-age=0", []string{"max-age=0"}, true},
		{"among directives, any case", []string{"no-cache, MAX-AGE=0"}, true},
		{"second header", []string{"no-store", "max-age=0"}, true},
		{"other max-age", []string{"max-age=10"}, false},
		{"prefix only", []string{"max-age=0x"}, false},
		{"none", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var h fasthttp.RequestHeader
			for _, v := range tt.values {
				h.Add("Cache-Control", v)
			}
			if got := invalidates(&h); got != tt.want {
				t.Errorf("invalidates(%q) = %v, want %v", tt.values, got, tt.want)
			}
		})
	}
}

// FuzzInvalidates: any Cache-Control value parses, and a max-age=0 beside it always counts.
func FuzzInvalidates(f *testing.F) {
	for _, s := range []string{"max-age=0", "no-cache, MAX-AGE=0", "max-age=10", "", ",,", "max-age=0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var h fasthttp.RequestHeader
		h.Set("Cache-Control", v)
		_ = invalidates(&h)
		h.Add("Cache-Control", "max-age=0")
		if !invalidates(&h) {
			t.Errorf("invalidates(%q, max-age=0) = false, want true", v)
		}
	})
}
