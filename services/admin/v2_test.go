package admin

import (
	"net/http"
	"testing"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func TestV2WebSocketAPI(t *testing.T) {
	e := newEnv(t)
	var api v2APIView
	e.must(t, http.StatusCreated, "POST", "/v2/apis", map[string]any{
		"name": "chat", "protocolType": "WEBSOCKET", "routeSelectionExpression": "$request.body.action",
	}).json(t, &api)
	if api.APIID == "" || api.ProtocolType != "WEBSOCKET" || api.RouteSelectionExpression != "$request.body.action" {
		t.Fatalf("create-api = %+v", api)
	}
	base := "/v2/apis/" + api.APIID
	var integ v2IntegrationView
	e.must(t, http.StatusCreated, "POST", base+"/integrations", map[string]any{"integrationType": "NATS_PROXY", "integrationUri": "chat.messages"}).json(t, &integ)
	if integ.IntegrationID == "" || integ.TimeoutInMillis != 30000 {
		t.Errorf("create-integration = %+v", integ)
	}
	for _, key := range []string{"$connect", "$disconnect", "$default", "sendmessage"} {
		var rt v2RouteView
		e.must(t, http.StatusCreated, "POST", base+"/routes", map[string]any{"routeKey": key, "target": "integrations/" + integ.IntegrationID}).json(t, &rt)
		if rt.RouteKey != key || rt.Target != "integrations/"+integ.IntegrationID {
			t.Errorf("create-route = %+v", rt)
		}
	}
	if r := e.do(t, "POST", base+"/routes", map[string]any{"routeKey": "sendmessage"}); r.status != http.StatusConflict {
		t.Errorf("duplicate route = %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", base+"/routes", map[string]any{"routeKey": "x", "target": "integrations/nosuchint1"}); r.status != http.StatusBadRequest {
		t.Errorf("route to unknown integration = %d %s", r.status, r.body)
	}
	var sg v2StageView
	e.must(t, http.StatusCreated, "POST", base+"/stages", map[string]any{
		"stageName": "prod", "stageVariables": map[string]string{"a": "b"},
		"defaultRouteSettings": map[string]any{"throttlingRateLimit": 5, "throttlingBurstLimit": 10},
	}).json(t, &sg)
	var d v2DeploymentView
	e.must(t, http.StatusCreated, "POST", base+"/deployments", map[string]any{"stageName": "prod"}).json(t, &d)
	if d.DeploymentStatus != "DEPLOYED" || d.DeploymentID == "" {
		t.Errorf("create-deployment = %+v", d)
	}

	stage := e.stage(t, api.APIID, "prod")
	if stage.DeploymentID != d.DeploymentID || stage.Variables["a"] != "b" {
		t.Errorf("stored stage = %+v", stage)
	}
	if rate, burst, ok := stage.Throttle(); !ok || rate != 5 || burst != 10 {
		t.Errorf("stage throttle = %v %v %v", rate, burst, ok)
	}
	en, ok := e.raw(t, wire.KeyDeployment(api.APIID, d.DeploymentID))
	if !ok {
		t.Fatal("deployment key missing")
	}
	var snap model.Deployment
	if err := wire.Unmarshal(en.Value(), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.API.Protocol != model.ProtocolWebSocket || len(snap.API.Routes) != 4 {
		t.Fatalf("snapshot = %+v", snap.API)
	}
	for _, rt := range snap.API.Routes {
		if rt.Integration == nil || rt.Integration.Type != "NATS_PROXY" || rt.Integration.URI != "chat.messages" {
			t.Errorf("route %s integration = %+v", rt.RouteKey, rt.Integration)
		}
	}

	var routes v2Items[v2RouteView]
	e.must(t, http.StatusOK, "GET", base+"/routes", nil).json(t, &routes)
	if len(routes.Items) != 4 {
		t.Errorf("get-routes = %+v", routes.Items)
	}
	var apis v2Items[v2APIView]
	e.must(t, http.StatusOK, "GET", "/v2/apis", nil).json(t, &apis)
	if len(apis.Items) != 1 {
		t.Errorf("get-apis = %+v", apis.Items)
	}
	var rest items[restAPIView]
	e.must(t, http.StatusOK, "GET", "/restapis", nil).json(t, &rest)
	if len(rest.Item) != 0 {
		t.Errorf("get-rest-apis lists a WEBSOCKET API: %+v", rest.Item)
	}
	e.must(t, http.StatusNoContent, "DELETE", base, nil)
	if keys := e.keys(t); len(keys) != 0 {
		t.Errorf("keys after delete-api = %v", keys)
	}
}

func TestV2HTTPAPI(t *testing.T) {
	e := newEnv(t)
	var api v2APIView
	e.must(t, http.StatusCreated, "POST", "/v2/apis", map[string]any{"name": "h", "protocolType": "HTTP"}).json(t, &api)
	if api.RouteSelectionExpression != "$request.method $request.path" {
		t.Errorf("HTTP routeSelectionExpression = %q", api.RouteSelectionExpression)
	}
	base := "/v2/apis/" + api.APIID
	var integ v2IntegrationView
	e.must(t, http.StatusCreated, "POST", base+"/integrations", map[string]any{"integrationType": "HTTP_PROXY", "integrationUri": "http://backend/", "integrationMethod": "ANY"}).json(t, &integ)
	e.must(t, http.StatusCreated, "POST", base+"/routes", map[string]any{"routeKey": "GET /items/{id}", "target": "integrations/" + integ.IntegrationID})
	for _, bad := range []string{"GET", "FETCH /x", "GET items"} {
		if r := e.do(t, "POST", base+"/routes", map[string]any{"routeKey": bad}); r.status != http.StatusBadRequest {
			t.Errorf("routeKey %q = %d, want 400", bad, r.status)
		}
	}
	before := e.keys(t)
	if r := e.do(t, "POST", base+"/deployments", map[string]any{"stageName": "nostage"}); r.status != http.StatusNotFound {
		t.Errorf("deploy to missing stage = %d %s", r.status, r.body)
	}
	if after := e.keys(t); len(after) != len(before) {
		t.Errorf("failed deployment stored keys: %v -> %v", before, after)
	}
	bad := []map[string]any{
		{"name": "x", "protocolType": "GRPC"},
		{"name": "x", "protocolType": "WEBSOCKET"},
		{"protocolType": "HTTP"},
	}
	for _, b := range bad {
		if r := e.do(t, "POST", "/v2/apis", b); r.status != http.StatusBadRequest {
			t.Errorf("create-api %v = %d, want 400", b, r.status)
		}
	}
	if r := e.do(t, "GET", "/v2/apis/nosuchapi1", nil); r.status != http.StatusNotFound || r.errorType() != "NotFoundException" {
		t.Errorf("get unknown api = %d %s", r.status, r.body)
	}
}
