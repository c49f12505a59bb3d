package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func resourcesByPath(t *testing.T, e *env, apiID string) map[string]model.Resource {
	t.Helper()
	var res items[model.Resource]
	e.must(t, http.StatusOK, "GET", "/restapis/"+apiID+"/resources", nil).json(t, &res)
	out := map[string]model.Resource{}
	for _, r := range res.Item {
		if len(r.ID) != 10 || strings.ToLower(r.ID) != r.ID {
			t.Errorf("resource id %q: want 10 lowercase alphanumerics", r.ID)
		}
		out[r.Path] = r
	}
	return out
}

func TestImportOpenAPI3YAML(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")

	var api restAPIView
	e.must(t, http.StatusOK, "GET", "/restapis/"+id, nil).json(t, &api)
	if api.Name != "Petstore" || api.Version != "1.0" || api.APIKeySource != "HEADER" {
		t.Errorf("api = %+v", api)
	}
	if len(api.BinaryMediaTypes) != 1 || api.BinaryMediaTypes[0] != "image/png" {
		t.Errorf("binaryMediaTypes = %v", api.BinaryMediaTypes)
	}

	res := resourcesByPath(t, e, id)
	if len(res) != 3 {
		t.Fatalf("resources = %v, want /, /pets, /pets/{petId}", res)
	}
	root, pets, pet := res["/"], res["/pets"], res["/pets/{petId}"]
	if api.RootResourceID != root.ID {
		t.Errorf("rootResourceId = %q, want %q", api.RootResourceID, root.ID)
	}
	if pets.ParentID != root.ID || pets.PathPart != "pets" || pet.ParentID != pets.ID || pet.PathPart != "{petId}" {
		t.Errorf("tree: pets=%+v pet=%+v", pets, pet)
	}
	get := pets.ResourceMethods["GET"]
	if !get.APIKeyRequired || get.OperationName != "listPets" || get.AuthorizationType != "NONE" {
		t.Errorf("GET /pets = %+v", get)
	}
	if req, ok := get.RequestParameters["method.request.querystring.limit"]; !ok || req {
		t.Errorf("GET /pets requestParameters = %v", get.RequestParameters)
	}
	if get.MethodResponses["200"].ResponseModels["application/json"] != "Pets" {
		t.Errorf("GET /pets methodResponses = %+v", get.MethodResponses)
	}
	if pm := pet.ResourceMethods["GET"]; pm.APIKeyRequired || pm.AuthorizationType != "CUSTOM" || pm.AuthorizerID == "" {
		t.Errorf("GET /pets/{petId} = %+v, want a CUSTOM authorizer and no api key", pm)
	}

	var m model.Method
	e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/resources/"+pets.ID+"/methods/GET", nil).json(t, &m)
	if m.MethodIntegration == nil || m.MethodIntegration.Type != model.IntegrationNATSProxy {
		t.Fatalf("method integration = %+v", m.MethodIntegration)
	}
	var in model.Integration
	e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/resources/"+pets.ID+"/methods/GET/integration", nil).json(t, &in)
	if in.Type != "NATS_PROXY" || in.URI != "pets.list" || in.TimeoutInMillis != 5000 {
		t.Errorf("integration = %+v", in)
	}
	var post model.Integration
	e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/resources/"+pets.ID+"/methods/post/integration", nil).json(t, &post)
	if post.Type != "MOCK" || post.IntegrationResponses["201"].ResponseTemplates["application/json"] != `{"ok": true}` {
		t.Errorf("mock integration = %+v", post)
	}

	var stored model.RestAPI
	en, _ := e.raw(t, wire.KeyRestAPI(id))
	if err := wire.Unmarshal(en.Value(), &stored); err != nil {
		t.Fatal(err)
	}
	if len(stored.Models) != 2 || stored.Models[0].Name != "Pet" || !strings.Contains(stored.Models[0].Schema, `"required":["name"]`) {
		t.Errorf("models = %+v", stored.Models)
	}
	if len(stored.RequestValidators) != 2 {
		t.Fatalf("validators = %+v", stored.RequestValidators)
	}
	vByName := map[string]string{}
	for _, v := range stored.RequestValidators {
		vByName[v.Name] = v.ID
	}
	postM := pets.ResourceMethods["POST"]
	if postM.RequestValidatorID != vByName["all"] || get.RequestValidatorID != vByName["params-only"] {
		t.Errorf("validator ids: post %q get %q, validators %v", postM.RequestValidatorID, get.RequestValidatorID, vByName)
	}
	if postM.RequestModels["application/json"] != "Pet" {
		t.Errorf("POST requestModels = %v", postM.RequestModels)
	}
	if len(stored.Authorizers) != 1 || stored.Authorizers[0].Name != "tok" || stored.Authorizers[0].AuthorizerURI != "auth.check" ||
		stored.Authorizers[0].ID != pet.ResourceMethods["GET"].AuthorizerID {
		t.Errorf("authorizers = %+v", stored.Authorizers)
	}
	if gr := stored.GatewayResponses["MISSING_AUTHENTICATION_TOKEN"]; gr.StatusCode != "404" {
		t.Errorf("gateway responses = %+v", stored.GatewayResponses)
	}

	var list items[restAPIView]
	e.must(t, http.StatusOK, "GET", "/restapis", nil).json(t, &list)
	if len(list.Item) != 1 || list.Item[0].ID != id {
		t.Errorf("get-rest-apis = %+v", list.Item)
	}
}

func TestImportSwagger2JSON(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "orders-swagger2.json")
	res := resourcesByPath(t, e, id)
	for _, p := range []string{"/", "/orders", "/orders/{orderId}", "/orders/{orderId}/items", "/{proxy+}"} {
		if _, ok := res[p]; !ok {
			t.Errorf("resource %q missing; have %v", p, res)
		}
	}
	items := res["/orders/{orderId}/items"].ResourceMethods["GET"]
	if !items.APIKeyRequired {
		t.Errorf("GET items: apiKeyRequired false, want true")
	}
	if req, ok := items.RequestParameters["method.request.path.orderId"]; !ok || !req {
		t.Errorf("requestParameters = %v", items.RequestParameters)
	}
	if _, ok := items.RequestParameters["method.request.header.X-Trace"]; !ok {
		t.Errorf("requestParameters = %v", items.RequestParameters)
	}
	in := items.MethodIntegration
	if in == nil || in.Type != "HTTP" || in.HTTPMethod != "GET" || in.TimeoutInMillis != 1500 || in.URI != "http://orders.internal/orders/{orderId}/items" {
		t.Fatalf("integration = %+v", in)
	}
	if ir := in.IntegrationResponses["404"]; ir.SelectionPattern != ".*not found.*" {
		t.Errorf("integrationResponses = %+v", in.IntegrationResponses)
	}
	if ir := in.IntegrationResponses["200"]; ir.SelectionPattern != "" {
		t.Errorf("default integration response has selection pattern %q", ir.SelectionPattern)
	}
	anyM := res["/{proxy+}"].ResourceMethods["ANY"]
	if anyM.MethodIntegration == nil || anyM.MethodIntegration.Type != "HTTP_PROXY" || anyM.APIKeyRequired {
		t.Errorf("ANY /{proxy+} = %+v", anyM)
	}
}

func TestCreateAndDeleteRestAPI(t *testing.T) {
	e := newEnv(t)
	var a restAPIView
	e.must(t, http.StatusCreated, "POST", "/restapis", map[string]any{"name": "plain", "description": "d"}).json(t, &a)
	if a.Name != "plain" || a.RootResourceID == "" || a.CreatedDate == 0 {
		t.Fatalf("create-rest-api = %+v", a)
	}
	e.must(t, http.StatusAccepted, "DELETE", "/restapis/"+a.ID, nil)
	e.must(t, http.StatusNotFound, "GET", "/restapis/"+a.ID, nil)
	if keys := e.keys(t); len(keys) != 0 {
		t.Errorf("keys after delete = %v", keys)
	}
}

func TestPutRestAPI(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	before := resourcesByPath(t, e, id)

	merge := `openapi: 3.0.1
info: {title: Petstore, version: "1.1"}
paths:
  /pets:
    delete:
      responses: {"204": {description: gone}}
      x-amazon-apigateway-integration: {type: nats_proxy, uri: pets.purge}
  /toys:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: mock}
`
	e.must(t, http.StatusOK, "PUT", "/restapis/"+id+"?mode=merge", merge)
	merged := resourcesByPath(t, e, id)
	if merged["/pets"].ID != before["/pets"].ID {
		t.Errorf("merge changed /pets id: %q -> %q", before["/pets"].ID, merged["/pets"].ID)
	}
	ms := merged["/pets"].ResourceMethods
	if _, ok := ms["GET"]; !ok {
		t.Errorf("merge lost GET /pets: %v", ms)
	}
	if _, ok := ms["DELETE"]; !ok {
		t.Errorf("merge did not add DELETE /pets: %v", ms)
	}
	if merged["/toys"].ParentID != before["/"].ID || merged["/pets/{petId}"].ID == "" {
		t.Errorf("merged tree = %v", merged)
	}

	e.must(t, http.StatusOK, "PUT", "/restapis/"+id+"?mode=overwrite", merge)
	over := resourcesByPath(t, e, id)
	if _, ok := over["/pets/{petId}"]; ok {
		t.Errorf("overwrite kept /pets/{petId}: %v", over)
	}
	if over["/pets"].ID != before["/pets"].ID || over["/"].ID != before["/"].ID {
		t.Errorf("overwrite changed ids of surviving paths")
	}
	if _, ok := over["/pets"].ResourceMethods["GET"]; ok {
		t.Errorf("overwrite kept GET /pets")
	}
	r := e.do(t, "PUT", "/restapis/"+id+"?mode=sideways", merge)
	if r.status != http.StatusBadRequest || r.errorType() != "BadRequestException" {
		t.Errorf("bad mode = %d %s", r.status, r.body)
	}
}
