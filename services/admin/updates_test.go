package admin

import (
	"net/http"
	"testing"
)

func TestUpdateAPIAndDeployments(t *testing.T) {
	e := newEnv(t)
	var api v2APIView
	e.must(t, http.StatusCreated, "POST", "/v2/apis", map[string]any{"name": "chat", "protocolType": "WEBSOCKET", "routeSelectionExpression": "$request.body.action"}).json(t, &api)
	var got v2APIView
	e.must(t, http.StatusOK, "PATCH", "/v2/apis/"+api.APIID, map[string]any{"name": "chat2", "routeSelectionExpression": "$request.body.type"}).json(t, &got)
	if got.Name != "chat2" || got.RouteSelectionExpression != "$request.body.type" {
		t.Errorf("update-api = %+v", got)
	}
	if r := e.do(t, "PATCH", "/v2/apis/"+api.APIID, map[string]any{"routeSelectionExpression": "$request.header.x"}); r.status != http.StatusBadRequest {
		t.Errorf("bad routeSelectionExpression = %d %s", r.status, r.body)
	}
	if r := e.do(t, "PATCH", "/v2/apis/"+api.APIID, map[string]any{"name": ""}); r.status != http.StatusBadRequest {
		t.Errorf("empty name = %d %s", r.status, r.body)
	}
	e.must(t, http.StatusCreated, "POST", "/v2/apis/"+api.APIID+"/routes", map[string]any{"routeKey": "$default"})
	var d v2DeploymentView
	e.must(t, http.StatusCreated, "POST", "/v2/apis/"+api.APIID+"/deployments", map[string]any{"description": "one"}).json(t, &d)
	e.must(t, http.StatusOK, "PATCH", "/v2/apis/"+api.APIID+"/deployments/"+d.DeploymentID, map[string]any{"description": "two"}).json(t, &d)
	if d.Description != "two" || e.deployment(t, api.APIID, d.DeploymentID).Description != "two" {
		t.Errorf("update-deployment v2 = %+v", d)
	}

	rest := e.importDoc(t, "petstore-oas3.yaml")
	id := e.deploy(t, rest, "prod")
	var dv deploymentView
	e.must(t, http.StatusOK, "PATCH", "/restapis/"+rest+"/deployments/"+id, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/description", Value: "renamed"}}}).json(t, &dv)
	if dv.Description != "renamed" {
		t.Errorf("update-deployment = %+v", dv)
	}
	if r := e.do(t, "PATCH", "/restapis/"+rest+"/deployments/"+id, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/api", Value: "x"}}}); r.status != http.StatusBadRequest {
		t.Errorf("patch of a snapshot field = %d %s", r.status, r.body)
	}
	e.must(t, http.StatusNotFound, "PATCH", "/restapis/"+rest+"/deployments/nosuchdep", map[string]any{"patchOperations": []patchOp{}})
}
