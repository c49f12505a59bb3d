package admin

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func (e *env) deployment(t *testing.T, apiID, id string) model.Deployment {
	t.Helper()
	en, ok := e.raw(t, wire.KeyDeployment(apiID, id))
	if !ok {
		t.Fatalf("deployment %s missing", wire.KeyDeployment(apiID, id))
	}
	var d model.Deployment
	if err := wire.Unmarshal(en.Value(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func routeKeys(a model.RestAPI) string {
	var keys []string
	for _, r := range a.Routes {
		uri := ""
		if r.Integration != nil {
			uri = r.Integration.URI
		}
		keys = append(keys, r.RouteKey+"->"+uri)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

func TestV2DefaultStageAutoDeploy(t *testing.T) {
	e := newEnv(t)
	var api v2APIView
	e.must(t, http.StatusCreated, "POST", "/v2/apis", map[string]any{"name": "shop", "protocolType": "HTTP"}).json(t, &api)
	base := "/v2/apis/" + api.APIID
	var integ v2IntegrationView
	e.must(t, http.StatusCreated, "POST", base+"/integrations", map[string]any{"integrationType": "NATS_PROXY", "integrationUri": "shop.list"}).json(t, &integ)
	var rt v2RouteView
	e.must(t, http.StatusCreated, "POST", base+"/routes", map[string]any{"routeKey": "GET /items", "target": "integrations/" + integ.IntegrationID}).json(t, &rt)

	// $default with autoDeploy starts on a deployment of the API as it is.
	var sg v2StageView
	e.must(t, http.StatusCreated, "POST", base+"/stages", map[string]any{"stageName": "$default", "autoDeploy": true}).json(t, &sg)
	if sg.StageName != "$default" || !sg.AutoDeploy || sg.DeploymentID == "" {
		t.Fatalf("create-stage $default = %+v", sg)
	}
	if _, ok := e.raw(t, "stages."+api.APIID+".=default"); !ok {
		t.Fatalf("$default not stored at stages.%s.=default; keys %v", api.APIID, e.keys(t))
	}
	e.must(t, http.StatusOK, "GET", base+"/stages/$default", nil)
	first := sg.DeploymentID
	if got := routeKeys(e.deployment(t, api.APIID, first).API); got != "GET /items->shop.list" {
		t.Errorf("first snapshot routes = %s", got)
	}

	// A change moves the stage to a new deployment that holds it.
	e.must(t, http.StatusOK, "PATCH", base+"/integrations/"+integ.IntegrationID, map[string]any{"integrationUri": "shop.list.v2"})
	moved := e.stage(t, api.APIID, "$default")
	if moved.DeploymentID == first {
		t.Fatalf("update-integration did not auto-deploy")
	}
	d := e.deployment(t, api.APIID, moved.DeploymentID)
	if got := routeKeys(d.API); got != "GET /items->shop.list.v2" || !d.AutoDeployed {
		t.Errorf("auto deployment routes = %s autoDeployed %v, want the route on the updated integration", got, d.AutoDeployed)
	}
	var dv v2DeploymentView
	e.must(t, http.StatusOK, "GET", base+"/deployments/"+moved.DeploymentID, nil).json(t, &dv)
	if !dv.AutoDeployed {
		t.Errorf("get-deployment = %+v, want autoDeployed", dv)
	}
	e.must(t, http.StatusOK, "PATCH", base+"/routes/"+rt.RouteID, map[string]any{"routeKey": "GET /things"})
	if got := routeKeys(e.deployment(t, api.APIID, e.stage(t, api.APIID, "$default").DeploymentID).API); got != "GET /things->shop.list.v2" {
		t.Errorf("after update-route the served snapshot has %s", got)
	}

	// A stage without autoDeploy stays put; turning autoDeploy off stops the moves.
	e.must(t, http.StatusCreated, "POST", base+"/stages", map[string]any{"stageName": "prod", "deploymentId": first})
	e.must(t, http.StatusOK, "PATCH", base+"/stages/$default", map[string]any{"autoDeploy": false})
	pinned := e.stage(t, api.APIID, "$default").DeploymentID
	e.must(t, http.StatusNoContent, "DELETE", base+"/routes/"+rt.RouteID, nil)
	if got := e.stage(t, api.APIID, "prod").DeploymentID; got != first {
		t.Errorf("prod moved to %s without autoDeploy", got)
	}
	if got := e.stage(t, api.APIID, "$default").DeploymentID; got != pinned {
		t.Errorf("$default moved after autoDeploy was turned off")
	}
	e.must(t, http.StatusNotFound, "GET", base+"/routes/"+rt.RouteID, nil)
	e.must(t, http.StatusNoContent, "DELETE", base+"/stages/$default", nil)
	e.must(t, http.StatusNotFound, "GET", base+"/stages/$default", nil)
}

func TestV2UpdatesAndResponses(t *testing.T) {
	e := newEnv(t)
	var api v2APIView
	e.must(t, http.StatusCreated, "POST", "/v2/apis", map[string]any{
		"name": "chat", "protocolType": "WEBSOCKET", "routeSelectionExpression": "$request.body.action",
	}).json(t, &api)
	base := "/v2/apis/" + api.APIID
	var i1, i2 v2IntegrationView
	e.must(t, http.StatusCreated, "POST", base+"/integrations", map[string]any{"integrationType": "NATS_PROXY", "integrationUri": "chat.a"}).json(t, &i1)
	e.must(t, http.StatusCreated, "POST", base+"/integrations", map[string]any{"integrationType": "MOCK"}).json(t, &i2)
	var rt v2RouteView
	e.must(t, http.StatusCreated, "POST", base+"/routes", map[string]any{"routeKey": "send", "target": "integrations/" + i1.IntegrationID}).json(t, &rt)

	// Retarget the route; the old integration can then go, the targeted one cannot.
	var got v2RouteView
	e.must(t, http.StatusOK, "PATCH", base+"/routes/"+rt.RouteID, map[string]any{"target": "integrations/" + i2.IntegrationID}).json(t, &got)
	if got.Target != "integrations/"+i2.IntegrationID {
		t.Errorf("update-route = %+v", got)
	}
	r := e.do(t, "DELETE", base+"/integrations/"+i2.IntegrationID, nil)
	if r.status != http.StatusBadRequest || !strings.Contains(r.message(t), rt.RouteID) {
		t.Errorf("delete of a targeted integration = %d %s, want 400 naming the route", r.status, r.body)
	}
	e.must(t, http.StatusNoContent, "DELETE", base+"/integrations/"+i1.IntegrationID, nil)
	e.must(t, http.StatusNotFound, "GET", base+"/integrations/"+i1.IntegrationID, nil)

	// Route responses.
	var rr v2RouteResponse
	e.must(t, http.StatusCreated, "POST", base+"/routes/"+rt.RouteID+"/routeresponses", map[string]any{"routeResponseKey": "$default"}).json(t, &rr)
	if rr.ID == "" || rr.Key != "$default" {
		t.Fatalf("create-route-response = %+v", rr)
	}
	if r := e.do(t, "POST", base+"/routes/"+rt.RouteID+"/routeresponses", map[string]any{"routeResponseKey": "$default"}); r.status != http.StatusConflict {
		t.Errorf("duplicate route response = %d %s", r.status, r.body)
	}
	e.must(t, http.StatusOK, "PATCH", base+"/routes/"+rt.RouteID+"/routeresponses/"+rr.ID, map[string]any{"modelSelectionExpression": "$request.body.type"})
	var list v2Items[v2RouteResponse]
	e.must(t, http.StatusOK, "GET", base+"/routes/"+rt.RouteID+"/routeresponses", nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ModelSelectionExpression != "$request.body.type" {
		t.Errorf("get-route-responses = %+v", list)
	}
	// the route response makes the stored route two-way, so the edges send answers back
	if a, _, err := loadV2API(context.Background(), &store{kv: e.kv}, strings.TrimPrefix(base, "/v2/apis/")); err != nil || !routeByID(a, rt.RouteID).TwoWay() {
		t.Errorf("stored route after create-route-response: two-way = false (%v)", err)
	}
	e.must(t, http.StatusNoContent, "DELETE", base+"/routes/"+rt.RouteID+"/routeresponses/"+rr.ID, nil)
	e.must(t, http.StatusNotFound, "GET", base+"/routes/"+rt.RouteID+"/routeresponses/"+rr.ID, nil)
	if a, _, err := loadV2API(context.Background(), &store{kv: e.kv}, strings.TrimPrefix(base, "/v2/apis/")); err != nil || routeByID(a, rt.RouteID).TwoWay() {
		t.Errorf("stored route after delete-route-response: still two-way (%v)", err)
	}

	// Integration responses.
	var ir v2IntegrationResponse
	e.must(t, http.StatusCreated, "POST", base+"/integrations/"+i2.IntegrationID+"/integrationresponses", map[string]any{
		"integrationResponseKey": "/200/", "responseTemplates": map[string]string{"application/json": "{}"},
	}).json(t, &ir)
	e.must(t, http.StatusOK, "PATCH", base+"/integrations/"+i2.IntegrationID+"/integrationresponses/"+ir.ID, map[string]any{"templateSelectionExpression": "\\$default"})
	e.must(t, http.StatusOK, "GET", base+"/integrations/"+i2.IntegrationID+"/integrationresponses/"+ir.ID, nil).json(t, &ir)
	if ir.TemplateSelectionExpression != "\\$default" || ir.ResponseTemplates["application/json"] != "{}" {
		t.Errorf("integration response = %+v", ir)
	}
	if r := e.do(t, "PATCH", base+"/integrations/"+i2.IntegrationID+"/integrationresponses/"+ir.ID, map[string]any{"contentHandlingStrategy": "ZIP"}); r.status != http.StatusBadRequest {
		t.Errorf("bad contentHandlingStrategy = %d %s", r.status, r.body)
	}
	e.must(t, http.StatusNoContent, "DELETE", base+"/integrations/"+i2.IntegrationID+"/integrationresponses/"+ir.ID, nil)

	// Stages and deployments.
	e.must(t, http.StatusCreated, "POST", base+"/stages", map[string]any{"stageName": "live", "stageVariables": map[string]string{"a": "1", "b": "2"}})
	var d v2DeploymentView
	e.must(t, http.StatusCreated, "POST", base+"/deployments", map[string]any{"stageName": "live"}).json(t, &d)
	var sg v2StageView
	e.must(t, http.StatusOK, "PATCH", base+"/stages/live", map[string]any{"stageVariables": map[string]string{"a": "9", "b": ""}, "description": "d"}).json(t, &sg)
	if sg.StageVariables["a"] != "9" || sg.StageVariables["b"] != "" || len(sg.StageVariables) != 1 || sg.Description != "d" {
		t.Errorf("update-stage = %+v", sg)
	}
	if r := e.do(t, "PATCH", base+"/stages/live", map[string]any{"deploymentId": "nosuchdep"}); r.status != http.StatusBadRequest {
		t.Errorf("update-stage to an unknown deployment = %d %s", r.status, r.body)
	}
	if r := e.do(t, "DELETE", base+"/deployments/"+d.DeploymentID, nil); r.status != http.StatusBadRequest {
		t.Errorf("delete of the live deployment = %d %s, want 400", r.status, r.body)
	}
	e.must(t, http.StatusNoContent, "DELETE", base+"/stages/live", nil)
	e.must(t, http.StatusNoContent, "DELETE", base+"/deployments/"+d.DeploymentID, nil)
	e.must(t, http.StatusNotFound, "GET", base+"/deployments/"+d.DeploymentID, nil)
}

func TestV2BadInputStoresNothing(t *testing.T) {
	e := newEnv(t)
	var api v2APIView
	e.must(t, http.StatusCreated, "POST", "/v2/apis", map[string]any{"name": "x", "protocolType": "HTTP"}).json(t, &api)
	base := "/v2/apis/" + api.APIID
	var integ v2IntegrationView
	e.must(t, http.StatusCreated, "POST", base+"/integrations", map[string]any{"integrationType": "HTTP_PROXY", "integrationUri": "http://b.example", "integrationMethod": "ANY"}).json(t, &integ)
	var rt v2RouteView
	e.must(t, http.StatusCreated, "POST", base+"/routes", map[string]any{"routeKey": "GET /a", "target": "integrations/" + integ.IntegrationID}).json(t, &rt)
	e.must(t, http.StatusCreated, "POST", base+"/routes", map[string]any{"routeKey": "GET /b"})
	_, rev := e.restAPI(t, api.APIID)
	tests := []struct {
		name, method, path string
		body               any
		status             int
		msg                string
	}{
		{"route key taken", "PATCH", base + "/routes/" + rt.RouteID, map[string]any{"routeKey": "GET /b"}, 409, "GET /b"},
		{"bad route key", "PATCH", base + "/routes/" + rt.RouteID, map[string]any{"routeKey": "FETCH /a"}, 400, "FETCH"},
		{"bad target", "PATCH", base + "/routes/" + rt.RouteID, map[string]any{"target": "lambda/x"}, 400, "lambda/x"},
		{"unknown route", "PATCH", base + "/routes/nosuchroute", map[string]any{}, 404, "nosuchroute"},
		{"bad integration type", "PATCH", base + "/integrations/" + integ.IntegrationID, map[string]any{"integrationType": "SOAP"}, 400, "SOAP"},
		{"bad timeout", "PATCH", base + "/integrations/" + integ.IntegrationID, map[string]any{"timeoutInMillis": 1}, 400, "timeoutInMillis"},
		{"unknown integration", "GET", base + "/integrations/nosuchint", nil, 404, "nosuchint"},
		{"malformed", "PATCH", base + "/routes/" + rt.RouteID, "{", 400, "Invalid request body"},
		{"bad stage name", "POST", base + "/stages", map[string]any{"stageName": "$other"}, 400, "Stage name"},
		{"route response without key", "POST", base + "/routes/" + rt.RouteID + "/routeresponses", map[string]any{}, 400, "routeResponseKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tt.body)
			if r.status != tt.status || r.errorType() == "" {
				t.Fatalf("%s %s = %d %s %s, want %d", tt.method, tt.path, r.status, r.errorType(), r.body, tt.status)
			}
			if msg := r.message(t); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not name %q", msg, tt.msg)
			}
		})
	}
	if _, after := e.restAPI(t, api.APIID); after != rev {
		t.Errorf("API revision moved from %d to %d: a failed request wrote", rev, after)
	}
}

func routeByID(a *storedAPI, id string) *model.Route {
	for i := range a.Routes {
		if a.Routes[i].ID == id {
			return &a.Routes[i]
		}
	}
	return &model.Route{}
}
