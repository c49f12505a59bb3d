package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func TestCanaryLifecycle(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	d1 := e.deploy(t, id, "prod")
	stagePath := "/restapis/" + id + "/stages/prod"

	// A canary needs an existing stage; nothing is written when it is missing.
	keysBefore := e.keys(t)
	r := e.do(t, "POST", "/restapis/"+id+"/deployments", map[string]any{"stageName": "beta", "canarySettings": map[string]any{"percentTraffic": 10}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.message(t), "beta") {
		t.Fatalf("canary to a missing stage = %d %s, want 400 naming the stage", r.status, r.body)
	}
	if got := e.keys(t); strings.Join(got, ",") != strings.Join(keysBefore, ",") {
		t.Errorf("keys changed after a failed canary deployment: %v -> %v", keysBefore, got)
	}

	var d deploymentView
	e.must(t, http.StatusCreated, "POST", "/restapis/"+id+"/deployments", map[string]any{
		"stageName": "prod", "canarySettings": map[string]any{"percentTraffic": 25, "stageVariableOverrides": map[string]string{"color": "red"}},
	}).json(t, &d)
	sg := e.stage(t, id, "prod")
	if sg.DeploymentID != d1 || sg.CanarySettings == nil || sg.CanarySettings.DeploymentID != d.ID ||
		sg.CanarySettings.PercentTraffic != 25 || sg.CanarySettings.StageVariableOverrides["color"] != "red" {
		t.Fatalf("stage after canary deployment = %+v canary %+v, want main %s canary %s at 25%%", sg, sg.CanarySettings, d1, d.ID)
	}

	e.must(t, http.StatusOK, "PATCH", stagePath, map[string]any{"patchOperations": []patchOp{
		{Op: "replace", Path: "/canarySettings/percentTraffic", Value: "50.5"},
		{Op: "replace", Path: "/canarySettings/stageVariableOverrides/size", Value: "xl"},
		{Op: "remove", Path: "/canarySettings/stageVariableOverrides/color"},
		{Op: "replace", Path: "/canarySettings/useStageCache", Value: "true"},
	}})
	sg = e.stage(t, id, "prod")
	if c := sg.CanarySettings; c.PercentTraffic != 50.5 || c.StageVariableOverrides["size"] != "xl" || c.StageVariableOverrides["color"] != "" || !c.UseStageCache {
		t.Errorf("canary after patch = %+v", c)
	}
	var view stageView
	e.must(t, http.StatusOK, "GET", stagePath, nil).json(t, &view)
	if view.CanarySettings == nil || view.CanarySettings.DeploymentID != d.ID {
		t.Errorf("get-stage canarySettings = %+v", view.CanarySettings)
	}

	// Bad canary patches change nothing.
	_, rev := e.stageRev(t, id, "prod")
	for _, p := range []patchOp{
		{Op: "replace", Path: "/canarySettings/percentTraffic", Value: "101"},
		{Op: "replace", Path: "/canarySettings/percentTraffic", Value: "lots"},
		{Op: "replace", Path: "/canarySettings/deploymentId", Value: "nosuchdep"},
		{Op: "replace", Path: "/canarySettings/other", Value: "1"},
		{Op: "replace", Path: "/canarySettings", Value: "1"},
	} {
		r := e.do(t, "PATCH", stagePath, map[string]any{"patchOperations": []patchOp{p}})
		if r.status != http.StatusBadRequest || r.errorType() != "BadRequestException" {
			t.Errorf("patch %+v = %d %s, want 400 BadRequestException", p, r.status, r.body)
		}
	}
	if _, after := e.stageRev(t, id, "prod"); after != rev {
		t.Errorf("stage revision moved from %d to %d after failed patches", rev, after)
	}

	// Promote as the console does: copy the canary's deployment and overrides, drop the canary.
	e.must(t, http.StatusOK, "PATCH", stagePath, map[string]any{"patchOperations": []patchOp{
		{Op: "copy", From: "/canarySettings/deploymentId", Path: "/deploymentId"},
		{Op: "copy", From: "/canarySettings/stageVariableOverrides", Path: "/variables"},
		{Op: "remove", Path: "/canarySettings"},
	}})
	sg = e.stage(t, id, "prod")
	if sg.DeploymentID != d.ID || sg.CanarySettings != nil || sg.Variables["size"] != "xl" {
		t.Errorf("stage after promotion = %+v", sg)
	}
	// The canary's deployment cannot be deleted while a canary points at it.
	e.must(t, http.StatusOK, "PATCH", stagePath, map[string]any{"patchOperations": []patchOp{
		{Op: "replace", Path: "/canarySettings/deploymentId", Value: d1},
	}})
	if r := e.do(t, "DELETE", "/restapis/"+id+"/deployments/"+d1, nil); r.status != http.StatusBadRequest {
		t.Errorf("delete of the canary's deployment = %d %s, want 400", r.status, r.body)
	}
}

func TestCreateStageWithCanary(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	d1 := e.deploy(t, id, "prod")
	e.must(t, http.StatusCreated, "POST", "/restapis/"+id+"/stages", map[string]any{
		"stageName": "beta", "deploymentId": d1, "canarySettings": map[string]any{"percentTraffic": 5},
	})
	if sg := e.stage(t, id, "beta"); sg.CanarySettings == nil || sg.CanarySettings.DeploymentID != d1 || sg.CanarySettings.PercentTraffic != 5 {
		t.Errorf("stage = %+v", sg)
	}
	r := e.do(t, "POST", "/restapis/"+id+"/stages", map[string]any{
		"stageName": "gamma", "deploymentId": d1, "canarySettings": map[string]any{"percentTraffic": -1},
	})
	if r.status != http.StatusBadRequest || !strings.Contains(r.message(t), "percentTraffic") {
		t.Errorf("negative percentTraffic = %d %s, want 400 naming percentTraffic", r.status, r.body)
	}
}

func (e *env) stageRev(t *testing.T, apiID, name string) (model.Stage, uint64) {
	t.Helper()
	en, ok := e.raw(t, wire.KeyStage(apiID, name))
	if !ok {
		t.Fatalf("stage key %s missing", wire.KeyStage(apiID, name))
	}
	var sg model.Stage
	if err := wire.Unmarshal(en.Value(), &sg); err != nil {
		t.Fatal(err)
	}
	return sg, en.Revision()
}
