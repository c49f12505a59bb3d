package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/pkg/model"
)

func TestModelsValidatorsAuthorizers(t *testing.T) {
	e := newEnv(t)
	api, root := e.createAPI(t, "parts")
	base := "/restapis/" + api
	res := e.createResource(t, api, root, "pets")

	var m model.Model
	e.must(t, http.StatusCreated, "POST", base+"/models", map[string]any{
		"name": "Pet", "contentType": "application/json", "schema": `{"type":"object","required":["name"]}`,
	}).json(t, &m)
	if m.ID == "" || m.Name != "Pet" {
		t.Fatalf("create-model = %+v", m)
	}
	var v model.RequestValidator
	e.must(t, http.StatusCreated, "POST", base+"/requestvalidators", map[string]any{"name": "body", "validateRequestBody": true}).json(t, &v)
	var az model.Authorizer
	e.must(t, http.StatusCreated, "POST", base+"/authorizers", map[string]any{
		"name": "tok", "type": "TOKEN", "authorizerUri": "auth.check", "authorizerResultTtlInSeconds": 60,
	}).json(t, &az)
	if az.IdentitySource != "method.request.header.Authorization" {
		t.Errorf("TOKEN authorizer identitySource = %q, want the Authorization header by default", az.IdentitySource)
	}

	// A method using all three.
	e.must(t, http.StatusCreated, "PUT", base+"/resources/"+res.ID+"/methods/POST", map[string]any{
		"authorizationType": "CUSTOM", "authorizerId": az.ID, "requestValidatorId": v.ID,
		"requestModels": map[string]string{"application/json": "Pet"},
	})
	a, _ := e.restAPI(t, api)
	// AWS gives every API it creates the models Empty and Error.
	if len(a.Models) != 3 || len(a.RequestValidators) != 1 || len(a.Authorizers) != 1 {
		t.Errorf("stored parts = %d models, %d validators, %d authorizers", len(a.Models), len(a.RequestValidators), len(a.Authorizers))
	}

	// Updates.
	e.must(t, http.StatusOK, "PATCH", base+"/models/Pet", map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/schema", Value: `{"type":"object"}`}}})
	e.must(t, http.StatusOK, "PATCH", base+"/requestvalidators/"+v.ID, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/validateRequestParameters", Value: "true"}}})
	e.must(t, http.StatusOK, "PATCH", base+"/authorizers/"+az.ID, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/authorizerResultTtlInSeconds", Value: "0"}}})
	a, _ = e.restAPI(t, api)
	if a.Models[2].Name != "Pet" || a.Models[2].Schema != `{"type":"object"}` || !a.RequestValidators[0].ValidateRequestParameters || *a.Authorizers[0].AuthorizerResultTTLInSeconds != 0 {
		t.Errorf("after updates: %+v %+v %+v", a.Models[0], a.RequestValidators[0], a.Authorizers[0])
	}

	// In use: none of them can go.
	for _, p := range []string{base + "/models/Pet", base + "/requestvalidators/" + v.ID, base + "/authorizers/" + az.ID} {
		r := e.do(t, "DELETE", p, nil)
		if r.status/100 != 4 || !strings.Contains(r.message(t), "/pets/POST") {
			t.Errorf("DELETE %s while used = %d %s, want a 4xx naming /pets/POST", p, r.status, r.body)
		}
	}
	e.must(t, http.StatusNoContent, "DELETE", base+"/resources/"+res.ID+"/methods/POST", nil)
	e.must(t, http.StatusAccepted, "DELETE", base+"/models/Pet", nil)
	e.must(t, http.StatusAccepted, "DELETE", base+"/requestvalidators/"+v.ID, nil)
	e.must(t, http.StatusAccepted, "DELETE", base+"/authorizers/"+az.ID, nil)
	e.must(t, http.StatusNotFound, "GET", base+"/models/Pet", nil)
	e.must(t, http.StatusNotFound, "GET", base+"/requestvalidators/"+v.ID, nil)
	e.must(t, http.StatusNotFound, "GET", base+"/authorizers/"+az.ID, nil)
}

func TestAPIPartsBadInput(t *testing.T) {
	e := newEnv(t)
	api, _ := e.createAPI(t, "bad-parts")
	base := "/restapis/" + api
	e.must(t, http.StatusCreated, "POST", base+"/models", map[string]any{"name": "Pet", "schema": `{}`})
	_, rev := e.restAPI(t, api)
	tests := []struct {
		name, method, path string
		body               any
		status             int
		msg                string
	}{
		{"model name", "POST", base + "/models", map[string]any{"name": "a-b", "schema": `{}`}, 400, "alphanumeric"},
		{"model schema", "POST", base + "/models", map[string]any{"name": "X", "schema": `[1`}, 400, "schema"},
		{"duplicate model", "POST", base + "/models", map[string]any{"name": "Pet", "schema": `{}`}, 409, "Model name already exists"}, // AWS names no model
		{"unknown model", "GET", base + "/models/Nope", nil, 404, "Nope"},
		{"model patch path", "PATCH", base + "/models/Pet", map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/name", Value: "X"}}}, 400, "/name"},
		{"validator name", "POST", base + "/requestvalidators", map[string]any{}, 400, "name"},
		{"authorizer type", "POST", base + "/authorizers", map[string]any{"name": "a", "type": "MAGIC"}, 400, "MAGIC"},
		{"authorizer uri", "POST", base + "/authorizers", map[string]any{"name": "a", "type": "REQUEST"}, 400, "authorizerUri"},
		{"authorizer ttl", "POST", base + "/authorizers", map[string]any{"name": "a", "type": "TOKEN", "authorizerUri": "x", "authorizerResultTtlInSeconds": 4000}, 400, "authorizerResultTtlInSeconds"},
		{"token identity source", "POST", base + "/authorizers", map[string]any{"name": "a", "type": "TOKEN", "authorizerUri": "x", "identitySource": "method.request.querystring.t"}, 400, "identity source"},
		{"gateway response type", "PUT", base + "/gatewayresponses/NOPE", map[string]any{}, 400, "NOPE"},
		{"gateway response status", "PUT", base + "/gatewayresponses/THROTTLED", map[string]any{"statusCode": "99"}, 400, "99"},
		{"gateway response header", "PUT", base + "/gatewayresponses/THROTTLED", map[string]any{"responseParameters": map[string]string{"method.response.header.X": "'a'"}}, 400, "mapping expression"},
		{"gateway response not customised", "DELETE", base + "/gatewayresponses/THROTTLED", nil, 404, "Gateway response type not defined on api"},
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
	if _, after := e.restAPI(t, api); after != rev {
		t.Errorf("API revision moved from %d to %d: a failed request wrote", rev, after)
	}
}

func TestGatewayResponses(t *testing.T) {
	e := newEnv(t)
	api, _ := e.createAPI(t, "gw")
	base := "/restapis/" + api + "/gatewayresponses"
	var all paged[gatewayResponseView]
	e.must(t, http.StatusOK, "GET", base, nil).json(t, &all)
	if len(all.Item) != 21 {
		t.Fatalf("get-gateway-responses = %d types, want 21", len(all.Item))
	}
	for _, g := range all.Item {
		if !g.DefaultResponse || g.ResponseTemplates["application/json"] != defaultGatewayTemplate {
			t.Errorf("default %s = %+v", g.ResponseType, g)
		}
		if g.ResponseType == "THROTTLED" && g.StatusCode != "429" || g.ResponseType == "DEFAULT_4XX" && g.StatusCode != "" {
			t.Errorf("default %s status = %q", g.ResponseType, g.StatusCode)
		}
	}
	var g gatewayResponseView
	e.must(t, http.StatusCreated, "PUT", base+"/THROTTLED", map[string]any{
		"statusCode": "503", "responseParameters": map[string]string{"gatewayresponse.header.Retry-After": "'1'"},
		"responseTemplates": map[string]string{"application/json": `{"slow":"down"}`},
	}).json(t, &g)
	if g.DefaultResponse || g.StatusCode != "503" {
		t.Errorf("put-gateway-response = %+v", g)
	}
	e.must(t, http.StatusOK, "PATCH", base+"/THROTTLED", map[string]any{"patchOperations": []patchOp{
		{Op: "replace", Path: "/responseTemplates/application~1json", Value: `{"slow":"please"}`},
	}})
	a, _ := e.restAPI(t, api)
	if c := a.GatewayResponses["THROTTLED"]; c.StatusCode != "503" || c.ResponseTemplates["application/json"] != `{"slow":"please"}` || c.ResponseParameters["gatewayresponse.header.Retry-After"] != "'1'" {
		t.Errorf("stored THROTTLED = %+v", c)
	}
	e.must(t, http.StatusAccepted, "DELETE", base+"/THROTTLED", nil)
	var back gatewayResponseView
	e.must(t, http.StatusOK, "GET", base+"/THROTTLED", nil).json(t, &back)
	if !back.DefaultResponse || back.StatusCode != "429" {
		t.Errorf("THROTTLED after delete = %+v, want the default", back)
	}
}
