package admin

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// restAPI reads an API's stored definition.
func (e *env) restAPI(t *testing.T, id string) (model.RestAPI, uint64) {
	t.Helper()
	en, ok := e.raw(t, wire.KeyRestAPI(id))
	if !ok {
		t.Fatalf("api key %s missing", wire.KeyRestAPI(id))
	}
	var a model.RestAPI
	if err := wire.Unmarshal(en.Value(), &a); err != nil {
		t.Fatal(err)
	}
	return a, en.Revision()
}

func (e *env) createAPI(t *testing.T, name string) (id, root string) {
	t.Helper()
	var v restAPIView
	e.must(t, http.StatusCreated, "POST", "/restapis", map[string]any{"name": name}).json(t, &v)
	return v.ID, v.RootResourceID
}

func (e *env) createResource(t *testing.T, api, parent, part string) model.Resource {
	t.Helper()
	var r model.Resource
	e.must(t, http.StatusCreated, "POST", "/restapis/"+api+"/resources/"+parent, map[string]any{"pathPart": part}).json(t, &r)
	return r
}

func TestResourceTreeLifecycle(t *testing.T) {
	e := newEnv(t)
	api, root := e.createAPI(t, "tree")
	v1 := e.createResource(t, api, root, "v1")
	pets := e.createResource(t, api, v1.ID, "pets")
	pet := e.createResource(t, api, pets.ID, "{petId}")
	if pet.Path != "/v1/pets/{petId}" || pet.ParentID != pets.ID {
		t.Fatalf("create-resource = %+v, want path /v1/pets/{petId} under %s", pet, pets.ID)
	}
	base := "/restapis/" + api + "/resources/" + pet.ID + "/methods/GET"

	m := e.must(t, http.StatusCreated, "PUT", base, map[string]any{
		"authorizationType": "NONE", "requestParameters": map[string]bool{"method.request.path.petId": true},
	})
	var method model.Method
	m.json(t, &method)
	if method.HTTPMethod != "GET" || !method.RequestParameters["method.request.path.petId"] {
		t.Errorf("put-method = %s", m.body)
	}
	e.must(t, http.StatusCreated, "PUT", base+"/responses/200", map[string]any{
		"responseParameters": map[string]bool{"method.response.header.X-Pet": false},
	})
	e.must(t, http.StatusCreated, "PUT", base+"/integration", map[string]any{
		"type": "NATS_PROXY", "uri": "pets.get", "requestTemplates": map[string]string{"application/json": `{"id":"$input.params('petId')"}`},
	})
	e.must(t, http.StatusCreated, "PUT", base+"/integration/responses/200", map[string]any{
		"selectionPattern": "", "responseTemplates": map[string]string{"application/json": `{"ok":true}`},
		"responseParameters": map[string]string{"method.response.header.X-Pet": "'yes'"},
	})

	var integ model.Integration
	e.must(t, http.StatusOK, "GET", base+"/integration", nil).json(t, &integ)
	if integ.Type != model.IntegrationNATSProxy || integ.URI != "pets.get" || integ.TimeoutInMillis != model.DefaultTimeoutMillis ||
		integ.IntegrationResponses["200"].ResponseTemplates["application/json"] != `{"ok":true}` {
		t.Errorf("get-integration = %+v", integ)
	}
	var ir model.IntegrationResponse
	e.must(t, http.StatusOK, "GET", base+"/integration/responses/200", nil).json(t, &ir)
	if ir.ResponseParameters["method.response.header.X-Pet"] != "'yes'" {
		t.Errorf("get-integration-response = %+v", ir)
	}

	// Patches, with AWS's ~1 escape for "/" in content types.
	e.must(t, http.StatusOK, "PATCH", base+"/integration", map[string]any{"patchOperations": []patchOp{
		{Op: "replace", Path: "/uri", Value: "pets.get.v2"},
		{Op: "add", Path: "/requestTemplates/text~1plain", Value: "$input.body"},
		{Op: "replace", Path: "/timeoutInMillis", Value: "5000"},
	}})
	e.must(t, http.StatusOK, "PATCH", base, map[string]any{"patchOperations": []patchOp{
		{Op: "replace", Path: "/apiKeyRequired", Value: "true"},
		{Op: "add", Path: "/requestParameters/method.request.querystring.q", Value: "false"},
	}})
	e.must(t, http.StatusOK, "PATCH", base+"/integration/responses/200", map[string]any{"patchOperations": []patchOp{
		{Op: "replace", Path: "/selectionPattern", Value: "2\\d{2}"},
	}})
	e.must(t, http.StatusCreated, "PATCH", base+"/responses/200", map[string]any{"patchOperations": []patchOp{
		{Op: "add", Path: "/responseModels/application~1json", Value: "Empty"},
	}})
	a, _ := e.restAPI(t, api)
	var stored model.Method
	for _, r := range a.Resources {
		if r.ID == pet.ID {
			stored = r.ResourceMethods["GET"]
		}
	}
	si := stored.MethodIntegration
	if si == nil || si.URI != "pets.get.v2" || si.RequestTemplates["text/plain"] != "$input.body" || si.TimeoutInMillis != 5000 ||
		si.IntegrationResponses["200"].SelectionPattern != `2\d{2}` || !stored.APIKeyRequired ||
		stored.RequestParameters["method.request.querystring.q"] || stored.MethodResponses["200"].ResponseModels["application/json"] != "Empty" {
		t.Errorf("stored method after patches = %+v integration %+v", stored, si)
	}

	// Renaming a resource moves the paths below it.
	var renamed model.Resource
	e.must(t, http.StatusOK, "PATCH", "/restapis/"+api+"/resources/"+pets.ID, map[string]any{"patchOperations": []patchOp{
		{Op: "replace", Path: "/pathPart", Value: "animals"},
	}}).json(t, &renamed)
	var child model.Resource
	e.must(t, http.StatusOK, "GET", "/restapis/"+api+"/resources/"+pet.ID, nil).json(t, &child)
	if renamed.Path != "/v1/animals" || child.Path != "/v1/animals/{petId}" {
		t.Errorf("after rename: %s and %s, want /v1/animals and /v1/animals/{petId}", renamed.Path, child.Path)
	}

	// Deletes, innermost first, then a whole subtree.
	e.must(t, http.StatusNoContent, "DELETE", base+"/integration/responses/200", nil)
	e.must(t, http.StatusNotFound, "GET", base+"/integration/responses/200", nil)
	e.must(t, http.StatusNoContent, "DELETE", base+"/responses/200", nil)
	e.must(t, http.StatusNoContent, "DELETE", base+"/integration", nil)
	e.must(t, http.StatusNotFound, "GET", base+"/integration", nil)
	e.must(t, http.StatusNoContent, "DELETE", base, nil)
	e.must(t, http.StatusNotFound, "GET", base, nil)
	e.must(t, http.StatusAccepted, "DELETE", "/restapis/"+api+"/resources/"+v1.ID, nil)
	a, _ = e.restAPI(t, api)
	if len(a.Resources) != 1 || a.Resources[0].Path != "/" {
		t.Errorf("resources after deleting /v1 = %+v, want only /", a.Resources)
	}
}

// TestResourceTreeBadInput: every bad request is an AWS-shaped 4xx naming the problem, and the
// stored API is left exactly as it was.
func TestResourceTreeBadInput(t *testing.T) {
	e := newEnv(t)
	api, root := e.createAPI(t, "bad")
	res := e.createResource(t, api, root, "items")
	greedy := e.createResource(t, api, root, "{proxy+}")
	base := "/restapis/" + api + "/resources/" + res.ID + "/methods/GET"
	e.must(t, http.StatusCreated, "PUT", base, map[string]any{"authorizationType": "NONE"})
	e.must(t, http.StatusCreated, "PUT", base+"/integration", map[string]any{"type": "MOCK"})

	tests := []struct {
		name, method, path string
		body               any
		status             int
		errType, msg       string
	}{
		{"bad path part", "POST", "/restapis/" + api + "/resources/" + root, map[string]any{"pathPart": "a/b"}, 400, "BadRequestException", "path part"},
		{"duplicate resource", "POST", "/restapis/" + api + "/resources/" + root, map[string]any{"pathPart": "items"}, 409, "ConflictException", "items"},
		{"child of greedy", "POST", "/restapis/" + api + "/resources/" + greedy.ID, map[string]any{"pathPart": "x"}, 400, "BadRequestException", "greedy"},
		{"unknown parent", "POST", "/restapis/" + api + "/resources/nosuch", map[string]any{"pathPart": "x"}, 404, "NotFoundException", "Resource identifier"},
		{"unknown api", "POST", "/restapis/nosuch/resources/" + root, map[string]any{"pathPart": "x"}, 404, "NotFoundException", "API identifier"},
		{"delete root", "DELETE", "/restapis/" + api + "/resources/" + root, nil, 400, "BadRequestException", "root"},
		{"bad auth type", "PUT", base, map[string]any{"authorizationType": "MAGIC"}, 400, "BadRequestException", "authorizationType"},
		{"custom without authorizer", "PUT", base, map[string]any{"authorizationType": "CUSTOM"}, 400, "BadRequestException", "authorizer"},
		{"bad http method", "PUT", "/restapis/" + api + "/resources/" + res.ID + "/methods/FETCH", map[string]any{"authorizationType": "NONE"}, 400, "BadRequestException", "Invalid HttpMethod specified"},
		{"bad request parameter", "PUT", base, map[string]any{"authorizationType": "NONE", "requestParameters": map[string]bool{"query.q": true}}, 400, "BadRequestException", "query.q"},
		{"unknown method", "GET", "/restapis/" + api + "/resources/" + res.ID + "/methods/POST", nil, 404, "NotFoundException", "Method identifier"},
		{"integration type", "PUT", base + "/integration", map[string]any{"type": "SOAP"}, 400, "ValidationException", "SOAP"},
		{"http without uri", "PUT", base + "/integration", map[string]any{"type": "HTTP_PROXY", "httpMethod": "GET"}, 400, "BadRequestException", "uri"},
		{"http bad uri", "PUT", base + "/integration", map[string]any{"type": "HTTP_PROXY", "httpMethod": "GET", "uri": "ftp://x"}, 400, "BadRequestException", "URI"},
		{"timeout", "PUT", base + "/integration", map[string]any{"type": "MOCK", "timeoutInMillis": 10}, 400, "BadRequestException", "Timeout"},
		{"bad status code", "PUT", base + "/responses/2000", map[string]any{}, 400, "ValidationException", "statusCode"},
		{"bad selection pattern", "PUT", base + "/integration/responses/200", map[string]any{"selectionPattern": "("}, 400, "BadRequestException", "selection pattern"},
		{"invalid method patch path", "PATCH", base, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/nonsense", Value: "1"}}}, 400, "BadRequestException", "/nonsense"},
		{"invalid integration patch path", "PATCH", base + "/integration", map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/type/x", Value: "1"}}}, 400, "BadRequestException", "/type/x"},
		{"integration patch to bad type", "PATCH", base + "/integration", map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/type", Value: "SOAP"}}}, 400, "BadRequestException", "SOAP"},
		{"bad patch op", "PATCH", base, map[string]any{"patchOperations": []patchOp{{Op: "explode", Path: "/operationName"}}}, 400, "BadRequestException", "explode"},
		{"rename root", "PATCH", "/restapis/" + api + "/resources/" + root, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/pathPart", Value: "x"}}}, 400, "BadRequestException", "/pathPart"},
		{"malformed json", "PUT", base, "{", 400, "BadRequestException", "Invalid request body"},
		{"update-rest-api bad path", "PATCH", "/restapis/" + api, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/resources", Value: "x"}}}, 400, "BadRequestException", "/resources"},
		{"update-rest-api empty name", "PATCH", "/restapis/" + api, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/name", Value: ""}}}, 400, "BadRequestException", "name"},
	}
	_, rev := e.restAPI(t, api)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tt.body)
			if r.status != tt.status || r.errorType() != tt.errType {
				t.Fatalf("%s %s = %d %s %s, want %d %s", tt.method, tt.path, r.status, r.errorType(), r.body, tt.status, tt.errType)
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

func TestUpdateRestAPI(t *testing.T) {
	e := newEnv(t)
	api, _ := e.createAPI(t, "old")
	var v restAPIView
	e.must(t, http.StatusOK, "PATCH", "/restapis/"+api, map[string]any{"patchOperations": []patchOp{
		{Op: "replace", Path: "/name", Value: "new"},
		{Op: "replace", Path: "/description", Value: "described"},
		{Op: "add", Path: "/binaryMediaTypes/image~1png"},
	}}).json(t, &v)
	if v.Name != "new" || v.Description != "described" || len(v.BinaryMediaTypes) != 1 || v.BinaryMediaTypes[0] != "image/png" {
		t.Errorf("update-rest-api = %+v", v)
	}
	e.must(t, http.StatusOK, "PATCH", "/restapis/"+api, map[string]any{"patchOperations": []patchOp{
		{Op: "remove", Path: "/binaryMediaTypes/image~1png"},
	}})
	if a, _ := e.restAPI(t, api); len(a.BinaryMediaTypes) != 0 || a.Name != "new" {
		t.Errorf("after remove: binaryMediaTypes = %v, name %q", a.BinaryMediaTypes, a.Name)
	}
}

func TestDeleteDeployment(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	d1 := e.deploy(t, id, "prod")
	d2 := e.deploy(t, id, "prod")
	r := e.do(t, "DELETE", "/restapis/"+id+"/deployments/"+d2, nil)
	if r.status != http.StatusBadRequest || !strings.Contains(r.message(t), "Active stages") {
		t.Fatalf("delete of the stage's deployment = %d %s, want 400 naming active stages", r.status, r.body)
	}
	e.must(t, http.StatusAccepted, "DELETE", "/restapis/"+id+"/deployments/"+d1, nil)
	if _, ok := e.raw(t, wire.KeyDeployment(id, d1)); ok {
		t.Errorf("deployment %s still stored", d1)
	}
	e.must(t, http.StatusNotFound, "DELETE", "/restapis/"+id+"/deployments/"+d1, nil)
}

// FuzzPatchOperations: any patch document either applies or fails with an AWS-shaped 4xx;
// it never panics.
func FuzzPatchOperations(f *testing.F) {
	f.Add(`{"patchOperations":[{"op":"replace","path":"/requestTemplates/application~1json","value":"x"}]}`)
	f.Add(`{"patchOperations":[{"op":"remove","path":"/canarySettings"}]}`)
	f.Add(`{"patchOperations":[{"op":"copy","from":"/canarySettings/stageVariableOverrides","path":"/variables"}]}`)
	f.Add(`{"patchOperations":[{"op":"add","path":"/binaryMediaTypes/~0~1","value":""}]}`)
	f.Add(`{"patchOperations":[{"op":"replace","path":"/apiStages/a:s/throttle/~1pets/GET/rateLimit","value":"1"}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		ops, err := decodePatch([]byte(doc))
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("decodePatch error %T %v, want *apiError", err, err)
			}
			return
		}
		m := model.Method{AuthorizationType: "NONE", MethodIntegration: &model.Integration{Type: "MOCK"}}
		in := model.Integration{Type: "MOCK"}
		ir := model.IntegrationResponse{StatusCode: "200"}
		a := model.RestAPI{Name: "x"}
		sg := model.Stage{CanarySettings: &model.CanarySettings{}}
		plan := model.UsagePlan{Name: "p", APIStages: []model.UsagePlanStage{{APIID: "a", Stage: "s"}}}
		for _, p := range ops {
			for _, err := range []error{applyMethodPatch(&m, p), applyIntegrationPatch(&in, p), applyIntegrationResponsePatch(&ir, p),
				applyRestAPIPatch(&a, p), applyMethodSettingPatch(&sg, p), applyUsagePlanPatch(&plan, p)} {
				if ae, ok := err.(*apiError); err != nil && (!ok || ae.Status/100 != 4) {
					t.Fatalf("patch %+v: error %v, want a 4xx", p, err)
				}
			}
			if strings.HasPrefix(p.Path, "/canarySettings/") && !strings.HasSuffix(p.Path, "/deploymentId") {
				if err := applyCanaryPatch(context.Background(), nil, &sg, p); err != nil {
					if ae, ok := err.(*apiError); !ok || ae.Status != http.StatusBadRequest {
						t.Fatalf("canary patch %+v: error %v, want a 400", p, err)
					}
				}
			}
		}
	})
}

// TestConcurrentTreeEditsConflict: when another writer changes the API between a tree edit's
// read and write, the edit is a ConflictException and the other writer's change survives.
func TestConcurrentTreeEditsConflict(t *testing.T) {
	e := newEnv(t)
	api, root := e.createAPI(t, "race")
	key := wire.KeyRestAPI(api)
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
			var a model.RestAPI
			_ = wire.Unmarshal(en.Value(), &a)
			a.Description = "other writer"
			b, _ := wire.Marshal(a)
			if _, err := e.kv.Update(context.Background(), key, b, en.Revision()); err != nil {
				t.Errorf("concurrent update: %v", err)
			}
		})
	}
	e.svc.st.beforeWrite.Store(&hook)
	r := e.do(t, "POST", "/restapis/"+api+"/resources/"+root, map[string]any{"pathPart": "mine"})
	if r.status != http.StatusConflict || r.errorType() != "ConflictException" {
		t.Fatalf("stale create-resource = %d %s, want 409 ConflictException", r.status, r.body)
	}
	a, _ := e.restAPI(t, api)
	if a.Description != "other writer" || len(a.Resources) != 1 {
		t.Errorf("after the conflict: description %q, %d resources; want the other writer's change only", a.Description, len(a.Resources))
	}
	e.createResource(t, api, root, "mine")
	if a, _ := e.restAPI(t, api); a.Description != "other writer" || len(a.Resources) != 2 {
		t.Errorf("retry lost a change: %+v", a)
	}
}
