package admin

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func patchOps(ops ...string) map[string]any {
	var out []map[string]string
	for i := 0; i+2 < len(ops); i += 3 {
		out = append(out, map[string]string{"op": ops[i], "path": ops[i+1], "value": ops[i+2]})
	}
	return map[string]any{"patchOperations": out}
}

// TestStageCacheSettings: the cache cluster fields and the method caching settings go through
// CreateDeployment, CreateStage and UpdateStage, and GetStage shows them with AWS's names and
// defaults.
func TestStageCacheSettings(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	var d deploymentView
	e.must(t, http.StatusCreated, "POST", "/restapis/"+id+"/deployments",
		map[string]any{"stageName": "prod", "cacheClusterEnabled": true}).json(t, &d)
	if sg := e.stage(t, id, "prod"); !sg.CacheClusterEnabled || sg.CacheClusterSize != model.DefaultCacheClusterSize {
		t.Errorf("after create-deployment --cache-cluster-enabled: enabled %v size %q, want true %q",
			sg.CacheClusterEnabled, sg.CacheClusterSize, model.DefaultCacheClusterSize)
	}
	var v map[string]any
	e.must(t, http.StatusCreated, "POST", "/restapis/"+id+"/stages",
		map[string]any{"stageName": "beta", "deploymentId": d.ID, "cacheClusterEnabled": true, "cacheClusterSize": "6.1"}).json(t, &v)
	if v["cacheClusterEnabled"] != true || v["cacheClusterSize"] != "6.1" || v["cacheClusterStatus"] != "AVAILABLE" {
		t.Errorf("CreateStage = %v, want enabled, 6.1, AVAILABLE", v)
	}

	e.must(t, http.StatusOK, "PATCH", "/restapis/"+id+"/stages/prod", patchOps(
		"replace", "/cacheClusterSize", "1.6",
		"replace", "/*/*/caching/enabled", "true",
		"replace", "/*/*/caching/ttlInSeconds", "60",
		"replace", "/~1pets~1{petId}/GET/caching/requireAuthorizationForCacheControl", "false",
		"replace", "/~1pets~1{petId}/GET/caching/unauthorizedCacheControlHeaderStrategy", "FAIL_WITH_403",
		"replace", "/~1pets~1{petId}/GET/caching/dataEncrypted", "true",
	))
	var got struct {
		CacheClusterEnabled bool                      `json:"cacheClusterEnabled"`
		CacheClusterSize    string                    `json:"cacheClusterSize"`
		CacheClusterStatus  string                    `json:"cacheClusterStatus"`
		MethodSettings      map[string]map[string]any `json:"methodSettings"`
	}
	e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/stages/prod", nil).json(t, &got)
	if !got.CacheClusterEnabled || got.CacheClusterSize != "1.6" || got.CacheClusterStatus != "AVAILABLE" {
		t.Errorf("GetStage cache cluster = %v %q %q, want true 1.6 AVAILABLE", got.CacheClusterEnabled, got.CacheClusterSize, got.CacheClusterStatus)
	}
	for _, tt := range []struct {
		name, key, field string
		want             any
	}{
		{"stage caching", "*/*", "cachingEnabled", true},
		{"stage ttl", "*/*", "cacheTtlInSeconds", 60.0},
		{"stage auth default", "*/*", "requireAuthorizationForCacheControl", true},
		{"stage strategy default", "*/*", "unauthorizedCacheControlHeaderStrategy", "SUCCEED_WITH_RESPONSE_HEADER"},
		{"stage encryption default", "*/*", "cacheDataEncrypted", false},
		{"method inherits caching", "~1pets~1{petId}/GET", "cachingEnabled", true},
		{"method inherits ttl", "~1pets~1{petId}/GET", "cacheTtlInSeconds", 60.0},
		{"method auth", "~1pets~1{petId}/GET", "requireAuthorizationForCacheControl", false},
		{"method strategy", "~1pets~1{petId}/GET", "unauthorizedCacheControlHeaderStrategy", "FAIL_WITH_403"},
		{"method encryption", "~1pets~1{petId}/GET", "cacheDataEncrypted", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if g := got.MethodSettings[tt.key][tt.field]; g != tt.want {
				t.Errorf("methodSettings[%q][%q] = %v, want %v", tt.key, tt.field, g, tt.want)
			}
		})
	}

	// a method override made by a throttling patch shows AWS's cache defaults
	e.must(t, http.StatusOK, "PATCH", "/restapis/"+id+"/stages/beta", patchOps("replace", "/~1pets/GET/throttling/rateLimit", "5"))
	e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/stages/beta", nil).json(t, &got)
	if ms := got.MethodSettings["~1pets/GET"]; ms["cacheTtlInSeconds"] != 300.0 || ms["requireAuthorizationForCacheControl"] != true {
		t.Errorf("new method setting = %v, want cacheTtlInSeconds 300, requireAuthorizationForCacheControl true", ms)
	}

	// turning the cache off
	e.must(t, http.StatusOK, "PATCH", "/restapis/"+id+"/stages/prod", patchOps("replace", "/cacheClusterEnabled", "false"))
	e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/stages/prod", nil).json(t, &got)
	if got.CacheClusterEnabled || got.CacheClusterStatus != "NOT_AVAILABLE" {
		t.Errorf("after disabling: %v %q, want false NOT_AVAILABLE", got.CacheClusterEnabled, got.CacheClusterStatus)
	}
}

func TestStageCacheBadValues(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	d := e.deploy(t, id, "prod")
	for _, tt := range []struct {
		name, method, path string
		body               any
		msg                string
	}{
		{"create-stage size", "POST", "/restapis/" + id + "/stages",
			map[string]any{"stageName": "x", "deploymentId": d, "cacheClusterEnabled": true, "cacheClusterSize": "0.7"}, "cacheClusterSize"},
		{"create-deployment size", "POST", "/restapis/" + id + "/deployments",
			map[string]any{"stageName": "prod", "cacheClusterEnabled": true, "cacheClusterSize": "2"}, "cacheClusterSize"},
		{"patch size", "PATCH", "/restapis/" + id + "/stages/prod", patchOps("replace", "/cacheClusterSize", "1"), "cacheClusterSize"},
		{"patch enabled", "PATCH", "/restapis/" + id + "/stages/prod", patchOps("replace", "/cacheClusterEnabled", "yes"), "cacheClusterEnabled"},
		{"patch enabled op", "PATCH", "/restapis/" + id + "/stages/prod", patchOps("add", "/cacheClusterEnabled", "true"), "Invalid patch path"},
		{"ttl above 3600", "PATCH", "/restapis/" + id + "/stages/prod", patchOps("replace", "/*/*/caching/ttlInSeconds", "3601"), "Invalid value"},
		{"ttl negative", "PATCH", "/restapis/" + id + "/stages/prod", patchOps("replace", "/*/*/caching/ttlInSeconds", "-1"), "Invalid value"},
		{"strategy", "PATCH", "/restapis/" + id + "/stages/prod",
			patchOps("replace", "/*/*/caching/unauthorizedCacheControlHeaderStrategy", "IGNORE"), "Invalid value"},
		{"require auth", "PATCH", "/restapis/" + id + "/stages/prod",
			patchOps("replace", "/*/*/caching/requireAuthorizationForCacheControl", "maybe"), "Invalid value"},
		{"unknown caching setting", "PATCH", "/restapis/" + id + "/stages/prod", patchOps("replace", "/*/*/caching/size", "1"), "Invalid patch path"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tt.body)
			if r.status != http.StatusBadRequest || r.errorType() != "BadRequestException" || !strings.Contains(r.message(t), tt.msg) {
				t.Errorf("%s %s = %d %s %q, want 400 BadRequestException containing %q", tt.method, tt.path, r.status, r.errorType(), r.message(t), tt.msg)
			}
		})
	}
	if sg := e.stage(t, id, "prod"); sg.CacheClusterEnabled || len(sg.MethodSettings) != 0 {
		t.Errorf("refused patches changed the stage: %+v", sg)
	}
}

// TestFlushStageCache: both flushes answer 202 and publish a CacheFlush for the stage; an
// unknown stage is 404.
func TestFlushStageCache(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, id, "prod")
	sub, err := e.nc.SubscribeSync(wire.SubjectCacheFlush)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path, scope string }{
		{"data", "/cache/data", wire.CacheFlushData},
		{"authorizers", "/cache/authorizers", wire.CacheFlushAuthorizers},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.must(t, http.StatusAccepted, "DELETE", "/restapis/"+id+"/stages/prod"+tt.path, nil)
			msg, err := sub.NextMsg(10 * time.Second)
			if err != nil {
				t.Fatalf("no flush published: %v", err)
			}
			var f wire.CacheFlush
			if err := wire.Unmarshal(msg.Data, &f); err != nil {
				t.Fatal(err)
			}
			if want := (wire.CacheFlush{APIID: id, Stage: "prod", Scope: tt.scope}); f != want {
				t.Errorf("flush = %+v, want %+v", f, want)
			}
			if r := e.do(t, "DELETE", "/restapis/"+id+"/stages/nope"+tt.path, nil); r.status != http.StatusNotFound {
				t.Errorf("flush of a missing stage = %d, want 404", r.status)
			}
		})
	}
}
