package admin

import (
	"net/http"
	"strings"
	"testing"
)

func TestV2AuthorizersAndModels(t *testing.T) {
	e := newEnv(t)
	var api v2APIView
	e.must(t, http.StatusCreated, "POST", "/v2/apis", map[string]any{"name": "auth", "protocolType": "HTTP"}).json(t, &api)
	base := "/v2/apis/" + api.APIID

	var jwt v2AuthorizerView
	e.must(t, http.StatusCreated, "POST", base+"/authorizers", map[string]any{
		"name": "jwt", "authorizerType": "JWT", "identitySource": []string{"$request.header.Authorization"},
		"jwtConfiguration": map[string]any{"issuer": "https://issuer.example", "audience": []string{"api"}},
	}).json(t, &jwt)
	if jwt.AuthorizerID == "" || len(jwt.IdentitySource) != 1 || jwt.JWTConfiguration.Issuer != "https://issuer.example" {
		t.Fatalf("create-authorizer = %+v", jwt)
	}
	var req v2AuthorizerView
	e.must(t, http.StatusCreated, "POST", base+"/authorizers", map[string]any{
		"name": "lambda", "authorizerType": "REQUEST", "authorizerUri": "auth.fn", "authorizerPayloadFormatVersion": "2.0",
		"enableSimpleResponses": true, "identitySource": []string{"$request.header.X-Token", "$request.querystring.t"},
	}).json(t, &req)

	// A JWT route on the JWT authorizer; a JWT route on the REQUEST authorizer is refused.
	var rt v2RouteView
	e.must(t, http.StatusCreated, "POST", base+"/routes", map[string]any{"routeKey": "GET /me", "authorizationType": "JWT", "authorizerId": jwt.AuthorizerID}).json(t, &rt)
	if r := e.do(t, "POST", base+"/routes", map[string]any{"routeKey": "GET /x", "authorizationType": "JWT", "authorizerId": req.AuthorizerID}); r.status != http.StatusBadRequest {
		t.Errorf("JWT route on a REQUEST authorizer = %d %s", r.status, r.body)
	}
	if r := e.do(t, "PATCH", base+"/routes/"+rt.RouteID, map[string]any{"authorizerId": "nosuchauth"}); r.status != http.StatusBadRequest {
		t.Errorf("route to an unknown authorizer = %d %s", r.status, r.body)
	}
	if r := e.do(t, "DELETE", base+"/authorizers/"+jwt.AuthorizerID, nil); r.status != http.StatusConflict || !strings.Contains(r.message(t), "GET /me") {
		t.Errorf("delete of a used authorizer = %d %s", r.status, r.body)
	}
	var upd v2AuthorizerView
	e.must(t, http.StatusOK, "PATCH", base+"/authorizers/"+req.AuthorizerID, map[string]any{"authorizerResultTtlInSeconds": 0}).json(t, &upd)
	if upd.AuthorizerResultTTLInSeconds == nil || *upd.AuthorizerResultTTLInSeconds != 0 || len(upd.IdentitySource) != 2 {
		t.Errorf("update-authorizer = %+v", upd)
	}
	a, _ := e.restAPI(t, api.APIID)
	if len(a.Authorizers) != 2 || a.Authorizers[1].IdentitySource != "$request.header.X-Token,$request.querystring.t" || !a.Authorizers[1].EnableSimpleResponses {
		t.Errorf("stored authorizers = %+v", a.Authorizers)
	}
	e.must(t, http.StatusNoContent, "DELETE", base+"/authorizers/"+req.AuthorizerID, nil)
	e.must(t, http.StatusNotFound, "GET", base+"/authorizers/"+req.AuthorizerID, nil)

	for _, bad := range []map[string]any{
		{"name": "x", "authorizerType": "TOKEN", "authorizerUri": "a"},
		{"name": "x", "authorizerType": "JWT", "identitySource": []string{"$request.header.A"}},
		{"name": "x", "authorizerType": "REQUEST", "authorizerUri": "a"},
		{"name": "x", "authorizerType": "REQUEST", "authorizerUri": "a", "authorizerPayloadFormatVersion": "1.0", "enableSimpleResponses": true},
	} {
		if r := e.do(t, "POST", base+"/authorizers", bad); r.status != http.StatusBadRequest {
			t.Errorf("create-authorizer %v = %d %s, want 400", bad, r.status, r.body)
		}
	}

	// Models.
	var m v2ModelView
	e.must(t, http.StatusCreated, "POST", base+"/models", map[string]any{"name": "Pet", "schema": `{"type":"object"}`}).json(t, &m)
	if m.ModelID == "" || m.ContentType != "application/json" {
		t.Fatalf("create-model = %+v", m)
	}
	if r := e.do(t, "POST", base+"/models", map[string]any{"name": "Pet", "schema": `{}`}); r.status != http.StatusConflict {
		t.Errorf("duplicate model = %d %s", r.status, r.body)
	}
	if r := e.do(t, "PATCH", base+"/models/"+m.ModelID, map[string]any{"schema": "nope"}); r.status != http.StatusBadRequest {
		t.Errorf("bad schema = %d %s", r.status, r.body)
	}
	e.must(t, http.StatusOK, "PATCH", base+"/models/"+m.ModelID, map[string]any{"description": "a pet"})
	var got v2ModelView
	e.must(t, http.StatusOK, "GET", base+"/models/"+m.ModelID, nil).json(t, &got)
	if got.Description != "a pet" || got.Schema != `{"type":"object"}` {
		t.Errorf("get-model = %+v", got)
	}
	e.must(t, http.StatusNoContent, "DELETE", base+"/models/"+m.ModelID, nil)
	e.must(t, http.StatusNotFound, "GET", base+"/models/"+m.ModelID, nil)
}
