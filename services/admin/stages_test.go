package admin

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func (e *env) stage(t *testing.T, apiID, name string) model.Stage {
	t.Helper()
	en, ok := e.raw(t, wire.KeyStage(apiID, name))
	if !ok {
		t.Fatalf("stage key %s missing", wire.KeyStage(apiID, name))
	}
	var sg model.Stage
	if err := wire.Unmarshal(en.Value(), &sg); err != nil {
		t.Fatal(err)
	}
	return sg
}

func (e *env) deploy(t *testing.T, apiID, stage string) string {
	t.Helper()
	var d deploymentView
	e.must(t, http.StatusCreated, "POST", "/restapis/"+apiID+"/deployments", map[string]any{"stageName": stage, "description": "d"}).json(t, &d)
	return d.ID
}

func TestDeployAndRedeploy(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	d1 := e.deploy(t, id, "prod")

	en, ok := e.raw(t, wire.KeyDeployment(id, d1))
	if !ok {
		t.Fatalf("deployment key missing")
	}
	d1Bytes, d1Rev := bytes.Clone(en.Value()), en.Revision()
	var snap model.Deployment
	if err := wire.Unmarshal(d1Bytes, &snap); err != nil {
		t.Fatal(err)
	}
	if snap.API.ID != id || len(snap.API.Resources) != 3 || snap.APIID != id {
		t.Errorf("deployment snapshot = %+v", snap)
	}
	if sg := e.stage(t, id, "prod"); sg.DeploymentID != d1 || sg.APIID != id || sg.StageName != "prod" {
		t.Errorf("stage = %+v", sg)
	}

	// Change the API, redeploy: the stage moves, the old snapshot does not.
	e.must(t, http.StatusOK, "PUT", "/restapis/"+id+"?mode=merge", `openapi: 3.0.1
info: {title: Petstore, version: "2"}
paths:
  /toys:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: mock}
`)
	d2 := e.deploy(t, id, "prod")
	if d2 == d1 {
		t.Fatalf("redeploy reused deployment id %s", d1)
	}
	if sg := e.stage(t, id, "prod"); sg.DeploymentID != d2 {
		t.Errorf("stage deploymentId = %s, want %s", sg.DeploymentID, d2)
	}
	en, _ = e.raw(t, wire.KeyDeployment(id, d1))
	if en.Revision() != d1Rev || !bytes.Equal(en.Value(), d1Bytes) {
		t.Errorf("old deployment changed")
	}
	var snap2 model.Deployment
	en2, _ := e.raw(t, wire.KeyDeployment(id, d2))
	if err := wire.Unmarshal(en2.Value(), &snap2); err != nil {
		t.Fatal(err)
	}
	if len(snap2.API.Resources) != 4 {
		t.Errorf("new snapshot has %d resources, want 4", len(snap2.API.Resources))
	}

	var deps items[deploymentView]
	e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/deployments", nil).json(t, &deps)
	if len(deps.Item) != 2 {
		t.Errorf("get-deployments = %+v", deps.Item)
	}
	var got deploymentView
	e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/deployments/"+d1, nil).json(t, &got)
	if got.ID != d1 || got.Description != "d" {
		t.Errorf("get-deployment = %+v", got)
	}

	// create-stage from an existing deployment, then list and delete.
	var sv stageView
	e.must(t, http.StatusCreated, "POST", "/restapis/"+id+"/stages", map[string]any{"stageName": "beta", "deploymentId": d1, "variables": map[string]string{"v": "1"}}).json(t, &sv)
	if sv.DeploymentID != d1 || sv.Variables["v"] != "1" {
		t.Errorf("create-stage = %+v", sv)
	}
	r := e.do(t, "POST", "/restapis/"+id+"/stages", map[string]any{"stageName": "beta", "deploymentId": d1})
	if r.status != http.StatusConflict || r.errorType() != "ConflictException" {
		t.Errorf("duplicate stage = %d %s", r.status, r.body)
	}
	var stages items[stageView]
	e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/stages", nil).json(t, &stages)
	if len(stages.Item) != 2 {
		t.Errorf("get-stages = %+v", stages.Item)
	}
	e.must(t, http.StatusAccepted, "DELETE", "/restapis/"+id+"/stages/beta", nil)
	if _, ok := e.raw(t, wire.KeyStage(id, "beta")); ok {
		t.Errorf("stage beta still stored")
	}
	e.must(t, http.StatusNotFound, "GET", "/restapis/"+id+"/stages/beta", nil)
}

func TestDeployEmptyAPIRefused(t *testing.T) {
	e := newEnv(t)
	var a restAPIView
	e.must(t, http.StatusCreated, "POST", "/restapis", map[string]any{"name": "empty"}).json(t, &a)
	before := e.keys(t)
	r := e.do(t, "POST", "/restapis/"+a.ID+"/deployments", map[string]any{"stageName": "prod"})
	if r.status != http.StatusBadRequest {
		t.Errorf("deploy of an API without methods = %d %s, want 400", r.status, r.body)
	}
	if after := e.keys(t); len(after) != len(before) {
		t.Errorf("keys %v -> %v", before, after)
	}
}

func TestUpdateStagePatch(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	d1 := e.deploy(t, id, "prod")
	d2 := e.deploy(t, id, "prod")

	patch := func(ops ...patchOp) response {
		return e.do(t, "PATCH", "/restapis/"+id+"/stages/prod", map[string]any{"patchOperations": ops})
	}
	r := patch(
		patchOp{Op: "replace", Path: "/variables/backend", Value: "blue"},
		patchOp{Op: "replace", Path: "/variables/gone", Value: "x"},
		patchOp{Op: "remove", Path: "/variables/gone"},
		patchOp{Op: "replace", Path: "/*/*/throttling/rateLimit", Value: "12.5"},
		patchOp{Op: "replace", Path: "/*/*/throttling/burstLimit", Value: "20"},
		patchOp{Op: "replace", Path: "/description", Value: "production"},
		patchOp{Op: "replace", Path: "/tracingEnabled", Value: "true"},
		patchOp{Op: "replace", Path: "/deploymentId", Value: d1},
	)
	if r.status != http.StatusOK {
		t.Fatalf("update-stage = %d %s", r.status, r.body)
	}
	var sv stageView
	r.json(t, &sv)
	if sv.DeploymentID != d1 || sv.Description != "production" || !sv.TracingEnabled {
		t.Errorf("update-stage response = %+v", sv)
	}
	if ms := sv.MethodSettings["*/*"]; ms.ThrottlingRateLimit != 12.5 || ms.ThrottlingBurstLimit != 20 {
		t.Errorf("methodSettings = %+v", sv.MethodSettings)
	}
	sg := e.stage(t, id, "prod")
	if sg.DeploymentID != d1 {
		t.Errorf("rollback: stage points at %s, want %s (latest was %s)", sg.DeploymentID, d1, d2)
	}
	if sg.Variables["backend"] != "blue" || len(sg.Variables) != 1 {
		t.Errorf("variables = %v", sg.Variables)
	}
	if rate, burst, ok := sg.Throttle(); !ok || rate != 12.5 || burst != 20 {
		t.Errorf("Throttle() = %v %v %v", rate, burst, ok)
	}

	en, _ := e.raw(t, wire.KeyStage(id, "prod"))
	rev := en.Revision()
	bad := []struct {
		name string
		op   patchOp
		want string
	}{
		{"unknown path", patchOp{Op: "replace", Path: "/nonsense", Value: "1"}, "/nonsense"},
		{"unknown setting", patchOp{Op: "replace", Path: "/*/*/throttling/speed", Value: "1"}, "/*/*/throttling/speed"},
		{"bad rate", patchOp{Op: "replace", Path: "/*/*/throttling/rateLimit", Value: "fast"}, "rateLimit"},
		{"unknown deployment", patchOp{Op: "replace", Path: "/deploymentId", Value: "nosuchdep1"}, "deployment"},
		{"bad op", patchOp{Op: "frobnicate", Path: "/description", Value: "x"}, "frobnicate"},
		{"bad variable name", patchOp{Op: "replace", Path: "/variables/a.b", Value: "x"}, "/variables/a.b"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := patch(patchOp{Op: "replace", Path: "/description", Value: "should not stick"}, tc.op)
			if r.status != http.StatusBadRequest || r.errorType() != "BadRequestException" {
				t.Fatalf("status = %d %s, want 400 BadRequestException", r.status, r.body)
			}
			if msg := r.message(t); !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not name %q", msg, tc.want)
			}
		})
	}
	if en, _ := e.raw(t, wire.KeyStage(id, "prod")); en.Revision() != rev {
		t.Errorf("a rejected patch wrote the stage")
	}
	r = e.do(t, "PATCH", "/restapis/"+id+"/stages/nostage", map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/description", Value: "x"}}})
	if r.status != http.StatusNotFound || r.errorType() != "NotFoundException" {
		t.Errorf("patch of unknown stage = %d %s", r.status, r.body)
	}
}

// TestStaleRevisionConflict makes another writer update the stage between admin's read and
// its write: admin must answer 409 and not overwrite the other write.
func TestStaleRevisionConflict(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, id, "prod")
	key := wire.KeyStage(id, "prod")
	var once sync.Once
	hook := func(k string) {
		if k != key {
			return
		}
		once.Do(func() {
			en, err := e.kv.Get(context.Background(), key)
			if err != nil {
				t.Errorf("get: %v", err)
				return
			}
			var sg model.Stage
			_ = wire.Unmarshal(en.Value(), &sg)
			sg.Description = "other writer"
			b, _ := wire.Marshal(sg)
			if _, err := e.kv.Update(context.Background(), key, b, en.Revision()); err != nil {
				t.Errorf("concurrent update: %v", err)
			}
		})
	}
	e.svc.st.beforeWrite.Store(&hook)
	r := e.do(t, "PATCH", "/restapis/"+id+"/stages/prod", map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/description", Value: "mine"}}})
	if r.status != http.StatusConflict || r.errorType() != "ConflictException" {
		t.Fatalf("stale update = %d %s, want 409 ConflictException", r.status, r.body)
	}
	if sg := e.stage(t, id, "prod"); sg.Description != "other writer" {
		t.Errorf("description = %q, want the other writer's", sg.Description)
	}
	// The next attempt reads the new revision and succeeds.
	e.must(t, http.StatusOK, "PATCH", "/restapis/"+id+"/stages/prod", map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/description", Value: "mine"}}})
	if sg := e.stage(t, id, "prod"); sg.Description != "mine" {
		t.Errorf("description = %q, want mine", sg.Description)
	}
}
