package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/route"
	"github.com/portico/portico/pkg/wire"
)

// target is one compiled route: what the edge needs per request, computed once per deployment.
type target struct {
	method       string // as defined (may be ANY)
	resourcePath string
	routeKey     string
	needAPIKey   bool
	integration  *model.Integration
	method_      *model.Method // REST only

	resourceID     string     // REST resource id (requestContext.resourceId)
	lambdaFunction string     // AWS_PROXY: function name, when the uri has no stage variables
	dataPlane      *dataPlane // compiled templates, validators, mappings; nil when none

	// ready-made values for the hot path, computed once per deployment by prepare
	resourcePathValue []string
	routeKeyValue     []string
	natsSpanName      string
	limits            []limit      // throttle buckets, set by Service.stageLimits
	route_            *model.Route // HTTP API route
	auth              authConf     // set by Service.stageAuth
}

// prepare fills the precomputed fields.
func (t *target) prepare() *target {
	t.resourcePathValue = []string{t.resourcePath}
	t.routeKeyValue = []string{t.routeKey}
	if t.integration != nil {
		t.natsSpanName = "nats " + t.integration.URI
	}
	return t
}

// stageState is one API stage as served: the deployment's API compiled into a route table.
type stageState struct {
	apiID, name  string
	deploymentID string
	api          *model.RestAPI
	stage        model.Stage
	routes       route.Table[*target]
	defaultRoute *target     // HTTP API $default
	cors         *corsPolicy // HTTP API CORS configuration; nil when none
	throttleKey  string
	failClosed   bool // the stage's throttling outage policy is fail-closed

	apiIDValue, stageValue []string
	connect                *target               // a WebSocket API's $connect route (its authorization)
	canary                 *stageState           // the canary's view of the stage, if it has one
	canaryPercent          float64               // share of requests the canary takes, 0–100
	isCanary               bool                  // this is a canary's view ($context.isCanaryRequest)
	policy                 *iampolicy.Policy     // the API's resource policy, parsed once
	policyBroken           bool                  // a policy that does not parse refuses every request
	requests               [3]prometheus.Counter // by status class: 2XX, 4XX, 5XX
	accessLog              *accessLogFormat      // the stage's access log format; nil when off
}

func (s *stageState) protocol() string {
	if s.api.Protocol == "" {
		return model.ProtocolREST
	}
	return s.api.Protocol
}

// compile builds a stage's route table from a deployment.
func compile(st model.Stage, dep *model.Deployment) (*stageState, error) {
	api := dep.API
	s := &stageState{apiID: st.APIID, name: st.StageName, deploymentID: dep.ID, api: &api, stage: st}
	s.throttleKey = st.APIID + "/" + st.StageName
	s.apiIDValue, s.stageValue = []string{st.APIID}, []string{st.StageName}
	s.accessLog = compileAccessLog(st)
	var errs []error
	for i := range api.Resources {
		res := &api.Resources[i]
		for verb, m := range res.ResourceMethods {
			if m.MethodIntegration == nil {
				continue
			}
			m := m
			t := &target{method: verb, resourcePath: res.Path, routeKey: verb + " " + res.Path,
				needAPIKey: m.APIKeyRequired, integration: m.MethodIntegration, method_: &m, resourceID: res.ID}
			if err := s.prepareDataPlane(t); err != nil {
				errs = append(errs, err)
			}
			if err := s.routes.Add(verb, res.Path, t.prepare()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for i := range api.Routes {
		r := &api.Routes[i]
		if r.Integration == nil || strings.HasPrefix(r.RouteKey, "$") && r.RouteKey != "$default" {
			continue
		}
		in := r.Integration
		if api.Protocol == model.ProtocolHTTP && in.TimeoutInMillis == 0 {
			// HTTP APIs time out after 30 s by default (REST APIs after 29 s)
			c := *in
			c.TimeoutInMillis = httpAPIDefaultTimeoutMillis
			in = &c
		}
		t := &target{routeKey: r.RouteKey, needAPIKey: r.APIKeyRequired, integration: in, route_: r}
		if err := s.prepareDataPlane(t); err != nil {
			errs = append(errs, err)
		}
		if r.RouteKey == "$default" {
			t.method, t.resourcePath = route.AnyMethod, "$default"
			s.defaultRoute = t.prepare()
			continue
		}
		verb, path, ok := strings.Cut(r.RouteKey, " ")
		if !ok {
			errs = append(errs, fmt.Errorf("route key %q: want \"METHOD /path\"", r.RouteKey))
			continue
		}
		t.method, t.resourcePath = verb, path
		if err := s.routes.Add(verb, path, t.prepare()); err != nil {
			errs = append(errs, err)
		}
	}
	return s, errors.Join(errs...)
}

// httpAPIDefaultTimeoutMillis is an HTTP API integration's default timeout.
const httpAPIDefaultTimeoutMillis = 30000

// tables is the set of served stages, swapped atomically as a whole.
type tables map[string]*stageState // key apiID + "/" + stage

// watcher keeps the edge's tables in step with the config bucket.
type watcher struct {
	kv      jetstream.KeyValue
	mu      sync.Mutex // serialises updates (one watcher goroutine, but tests may call apply)
	deploys map[string]*model.Deployment
	pending map[string]jetstream.KeyValueEntry // stage key → latest entry not yet loaded
	swap    func(tables)
	prepare func(*stageState) // per-stage hot-path state (metrics children)
	current func() tables
	log     func(msg string, args ...any)
}

func (w *watcher) run(ctx context.Context, ready func()) error {
	kw, err := w.kv.Watch(ctx, wire.KeyStagesPrefix+">")
	if err != nil {
		return fmt.Errorf("watching stages: %w", err)
	}
	defer kw.Stop()
	retry := time.NewTicker(retryInterval)
	defer retry.Stop()
	initial := true
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-retry.C:
			// stages whose deployment could not be loaded yet (written out of order, or a
			// store hiccup) are tried again until they load or change
			for _, e := range w.takePending() {
				w.apply(ctx, e)
			}
		case e, ok := <-kw.Updates():
			if !ok {
				return nil
			}
			if e == nil {
				if initial {
					initial = false
					ready()
				}
				continue
			}
			w.apply(ctx, e)
		}
	}
}

// retryInterval is how often stages that failed to load are tried again.
const retryInterval = 250 * time.Millisecond

func (w *watcher) takePending() []jetstream.KeyValueEntry {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]jetstream.KeyValueEntry, 0, len(w.pending))
	for _, e := range w.pending {
		out = append(out, e)
	}
	return out
}

func (w *watcher) apply(ctx context.Context, e jetstream.KeyValueEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	apiID, stage, ok := wire.ParseStageKey(e.Key())
	if !ok {
		return
	}
	key := apiID + "/" + stage
	next := tables{}
	for k, v := range w.current() {
		next[k] = v
	}
	if e.Operation() != jetstream.KeyValuePut {
		delete(w.pending, e.Key())
		delete(next, key)
		w.swap(next)
		return
	}
	var st model.Stage
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		w.log("bad stage record", "key", e.Key(), "err", err)
		return
	}
	dep, err := w.deployment(ctx, apiID, st.DeploymentID)
	if err != nil {
		if _, again := w.pending[e.Key()]; !again {
			w.log("loading deployment", "key", e.Key(), "deployment", st.DeploymentID, "err", err)
		}
		w.pending[e.Key()] = e
		return
	}
	var canaryDep *model.Deployment
	if c := st.CanarySettings; c != nil && c.DeploymentID != "" && c.PercentTraffic > 0 {
		if canaryDep, err = w.deployment(ctx, apiID, c.DeploymentID); err != nil {
			if _, again := w.pending[e.Key()]; !again {
				w.log("loading canary deployment", "key", e.Key(), "deployment", c.DeploymentID, "err", err)
			}
			w.pending[e.Key()] = e
			return
		}
	}
	delete(w.pending, e.Key())
	s, err := compile(st, dep)
	if err != nil {
		w.log("compiling deployment", "key", e.Key(), "err", err)
	}
	if w.prepare != nil {
		w.prepare(s)
	}
	if canaryDep != nil {
		s.canary, s.canaryPercent = w.compileCanary(st, canaryDep), st.CanarySettings.PercentTraffic
	}
	next[key] = s
	w.swap(next)
}

// compileCanary builds the stage as its canary serves it: the canary deployment, with the
// stage variables overridden by the canary's.
func (w *watcher) compileCanary(st model.Stage, dep *model.Deployment) *stageState {
	cst := st
	cst.DeploymentID = dep.ID
	cst.CanarySettings = nil
	if o := st.CanarySettings.StageVariableOverrides; len(o) > 0 {
		cst.Variables = make(map[string]string, len(st.Variables)+len(o))
		for k, v := range st.Variables {
			cst.Variables[k] = v
		}
		for k, v := range o {
			cst.Variables[k] = v
		}
	}
	c, err := compile(cst, dep)
	if err != nil {
		w.log("compiling canary deployment", "api_id", st.APIID, "stage", st.StageName, "err", err)
	}
	c.isCanary = true
	if w.prepare != nil {
		w.prepare(c)
	}
	return c
}

func (w *watcher) deployment(ctx context.Context, apiID, id string) (*model.Deployment, error) {
	k := wire.KeyDeployment(apiID, id)
	if d, ok := w.deploys[k]; ok {
		return d, nil
	}
	e, err := w.kv.Get(ctx, k)
	if err != nil {
		return nil, err
	}
	var d model.Deployment
	if err := json.Unmarshal(e.Value(), &d); err != nil {
		return nil, err
	}
	w.deploys[k] = &d
	return &d, nil
}
