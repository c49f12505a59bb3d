package admin

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// AWS parity of the REST control plane: each test replays a scenario AWS answered in
// LocalStack's AWS-validated snapshot tests (tests/aws/services/apigateway/
// test_apigateway_api.snapshot.json) and asserts the recorded answer: status, members present
// and absent, defaults, x-amzn-ErrorType and message. Ids, dates and ARNs differ by nature and
// are not compared; the recordings' account 111111111111 is Portico's iamAccountForARN.

// wantError asserts an AWS error answer.
func wantError(t *testing.T, r response, status int, typ, msg string) {
	t.Helper()
	if r.status != status || r.errorType() != typ || r.message(t) != msg {
		t.Errorf("got %d %s %s, want %d %s {\"message\":%q}", r.status, r.errorType(), r.body, status, typ, msg)
	}
}

// members decodes a JSON object answer and asserts its member names are exactly want.
func members(t *testing.T, r response, want ...string) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("members %v, want %v (%s)", got, want, r.body)
	}
	return m
}

// jsonEq reports whether v marshals to the same JSON as want.
func jsonEq(t *testing.T, v any, want string) bool {
	t.Helper()
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	ga, _ := json.Marshal(a)
	gb, _ := json.Marshal(b)
	return string(ga) == string(gb)
}

func wantJSON(t *testing.T, what string, v any, want string) {
	t.Helper()
	if !jsonEq(t, v, want) {
		got, _ := json.Marshal(v)
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func patch(ops ...map[string]string) map[string]any {
	return map[string]any{"patchOperations": ops}
}

func pop(o, path, value string) map[string]string {
	m := map[string]string{"op": o, "path": path}
	if value != "" || o == "replace" {
		m["value"] = value
	}
	return m
}

// noValue is a patch operation without a value member.
func noValue(o, path string) map[string]string { return map[string]string{"op": o, "path": path} }

type parityAPI struct {
	id, root string
}

func (e *env) newAPI(t *testing.T, body map[string]any) (parityAPI, map[string]any) {
	t.Helper()
	if body == nil {
		body = map[string]any{"name": "parity"}
	}
	r := e.must(t, http.StatusCreated, "POST", "/restapis", body)
	var m map[string]any
	r.json(t, &m)
	id, _ := m["id"].(string)
	root, _ := m["rootResourceId"].(string)
	return parityAPI{id, root}, m
}

func notFoundAPI(id string) string {
	return "Invalid API identifier specified " + iamAccountForARN + ":" + id
}

var restAPIMembers = []string{"apiKeySource", "createdDate", "disableExecuteApiEndpoint", "endpointConfiguration", "id", "name", "rootResourceId"}

func TestParityRestAPI(t *testing.T) {
	e := newEnv(t)

	t.Run("create only name", func(t *testing.T) {
		r := e.must(t, http.StatusCreated, "POST", "/restapis", map[string]any{"name": "n1"})
		m := members(t, r, restAPIMembers...)
		wantJSON(t, "apiKeySource", m["apiKeySource"], `"HEADER"`)
		wantJSON(t, "disableExecuteApiEndpoint", m["disableExecuteApiEndpoint"], `false`)
		wantJSON(t, "endpointConfiguration", m["endpointConfiguration"], `{"ipAddressType":"ipv4","types":["EDGE"]}`)
		if _, ok := m["createdDate"].(float64); !ok {
			t.Errorf("createdDate %v is not a number", m["createdDate"])
		}
	})
	t.Run("create with description version empty binary media", func(t *testing.T) {
		r := e.must(t, http.StatusCreated, "POST", "/restapis", map[string]any{"name": "n2", "description": "this is my api", "version": "v1", "binaryMediaTypes": []string{}})
		members(t, r, append(restAPIMembers, "description", "version")...)
	})
	t.Run("create with binary media and tags", func(t *testing.T) {
		r := e.must(t, http.StatusCreated, "POST", "/restapis", map[string]any{"name": "n3", "binaryMediaTypes": []string{"image/png"}, "tags": map[string]string{"MY_TAG1": "MY_VALUE1"}})
		m := members(t, r, append(restAPIMembers, "binaryMediaTypes", "tags")...)
		wantJSON(t, "tags", m["tags"], `{"MY_TAG1":"MY_VALUE1"}`)
		g := e.must(t, http.StatusOK, "GET", "/restapis/"+m["id"].(string), nil)
		members(t, g, append(restAPIMembers, "binaryMediaTypes", "tags")...)
	})
	t.Run("create with empty description", func(t *testing.T) {
		wantError(t, e.do(t, "POST", "/restapis", map[string]any{"name": "n4", "description": ""}), 400, "BadRequestException", "Description cannot be an empty string")
	})
	t.Run("create with negative compression size", func(t *testing.T) {
		wantError(t, e.do(t, "POST", "/restapis", map[string]any{"name": "n5", "minimumCompressionSize": -1}), 400, "BadRequestException", "Invalid minimum compression size, must be between 0 and 10485760")
	})
	t.Run("get unknown", func(t *testing.T) {
		wantError(t, e.do(t, "GET", "/restapis/api_id", nil), 404, "NotFoundException", notFoundAPI("api_id"))
	})
	t.Run("update unknown", func(t *testing.T) {
		wantError(t, e.do(t, "PATCH", "/restapis/api_id", patch(pop("replace", "/apiKeySource", "AUTHORIZER"))), 404, "NotFoundException", notFoundAPI("api_id"))
	})
	t.Run("delete answers 202", func(t *testing.T) {
		a, _ := e.newAPI(t, nil)
		r := e.must(t, http.StatusAccepted, "DELETE", "/restapis/"+a.id, nil)
		if len(r.body) != 0 {
			t.Errorf("delete body %s, want none", r.body)
		}
		wantError(t, e.do(t, "DELETE", "/restapis/"+a.id, nil), 404, "NotFoundException", notFoundAPI(a.id))
	})
}

func TestParityUpdateRestAPI(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, map[string]any{"name": "u", "description": "this is my api"})
	path := "/restapis/" + a.id

	r := e.must(t, http.StatusOK, "PATCH", path, patch(noValue("add", "/binaryMediaTypes/image~1png"), noValue("add", "/binaryMediaTypes/image~1jpeg")))
	m := members(t, r, append(restAPIMembers, "binaryMediaTypes", "description", "tags")...)
	wantJSON(t, "binaryMediaTypes", m["binaryMediaTypes"], `["image/png","image/jpeg"]`)
	wantJSON(t, "tags", m["tags"], `{}`)

	r = e.must(t, http.StatusOK, "PATCH", path, patch(pop("replace", "/binaryMediaTypes/image~1png", "image/gif")))
	m = members(t, r, append(restAPIMembers, "binaryMediaTypes", "description", "tags")...)
	wantJSON(t, "binaryMediaTypes", m["binaryMediaTypes"], `["image/jpeg","image/gif"]`)

	r = e.must(t, http.StatusOK, "PATCH", path, patch(noValue("remove", "/binaryMediaTypes/image~1gif"), noValue("remove", "/description")))
	m = members(t, r, append(restAPIMembers, "binaryMediaTypes", "tags")...)
	wantJSON(t, "binaryMediaTypes", m["binaryMediaTypes"], `["image/jpeg"]`)

	tests := []struct {
		name string
		ops  map[string]any
		msg  string
	}{
		{"add base path", patch(pop("add", "/binaryMediaTypes", "image/gif")), "Invalid patch path /binaryMediaTypes"},
		{"replace base path", patch(pop("replace", "/binaryMediaTypes", "image/gif")), "Invalid patch path /binaryMediaTypes"},
		{"remove base path", patch(noValue("remove", "/binaryMediaTypes")), "Invalid patch path /binaryMediaTypes"},
		{"negative compression", patch(pop("replace", "/minimumCompressionSize", "-1")), "Invalid minimum compression size, must be between 0 and 10485760"},
		{"string compression", patch(pop("replace", "/minimumCompressionSize", "test")), "Invalid minimum compression size, must be between 0 and 10485760"},
		{"add compression", patch(pop("add", "/minimumCompressionSize", "10")), "Invalid patch operation specified. Must be one of: [replace]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.do(t, "PATCH", path, tc.ops), 400, "BadRequestException", tc.msg)
		})
	}
}

var resourceMembers = []string{"id", "parentId", "path", "pathPart"}

func TestParityResources(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	base := "/restapis/" + a.id + "/resources/"

	var list struct {
		Items []map[string]any `json:"item"`
	}
	e.must(t, http.StatusOK, "GET", "/restapis/"+a.id+"/resources", nil).json(t, &list)
	if len(list.Items) != 1 || !jsonEq(t, list.Items[0], `{"id":"`+a.root+`","path":"/"}`) {
		t.Errorf("root resources = %v, want only {id, path: /}", list.Items)
	}

	create := func(parent, part string) map[string]any {
		t.Helper()
		return members(t, e.must(t, http.StatusCreated, "POST", base+parent, map[string]string{"pathPart": part}), resourceMembers...)
	}
	pets := create(a.root, "pets")
	petsID := pets["id"].(string)
	wantJSON(t, "create pets", []any{pets["parentId"], pets["path"], pets["pathPart"]}, `["`+a.root+`","/pets","pets"]`)
	sub := create(petsID, "subpets")
	subID := sub["id"].(string)
	wantJSON(t, "subpets path", sub["path"], `"/pets/subpets"`)
	child := create(subID, "pets")
	childID := child["id"].(string)

	tests := []struct {
		name, id string
		ops      map[string]any
		status   int
		typ, msg string
	}{
		{"nonexistent resource", "fake-resource", patch(pop("replace", "/pathPart", "dogs")), 404, "NotFoundException", "Invalid Resource identifier specified"},
		{"invalid path", petsID, patch(pop("replace", "/invalid", "dogs")), 400, "BadRequestException", "Invalid patch path  '/invalid' specified for op 'replace'. Must be one of: [/parentId, /pathPart]"},
		{"invalid parent id", petsID, patch(pop("replace", "/parentId", "fake-parent-id")), 404, "NotFoundException", "Invalid Resource identifier specified"},
		{"existing future sibling", childID, patch(pop("replace", "/parentId", a.root)), 409, "ConflictException", "Another resource with the same parent already has this name: pets"},
		{"cyclical", petsID, patch(pop("replace", "/parentId", subID)), 400, "BadRequestException", "Resources cannot be cyclical."},
		{"remove unsupported", subID, patch(noValue("remove", "/pathPart")), 400, "BadRequestException", "Invalid patch path  '/pathPart' specified for op 'remove'. Please choose supported operations"},
		{"add unsupported", subID, patch(pop("add", "/pathPart", "added-pets")), 400, "BadRequestException", "Invalid patch path  '/pathPart' specified for op 'add'. Please choose supported operations"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.do(t, "PATCH", base+tc.id, tc.ops), tc.status, tc.typ, tc.msg)
		})
	}

	e.must(t, http.StatusAccepted, "DELETE", base+childID, nil)
	moved := members(t, e.must(t, http.StatusOK, "PATCH", base+subID, patch(pop("replace", "/parentId", a.root))), resourceMembers...)
	wantJSON(t, "moved", []any{moved["parentId"], moved["path"]}, `["`+a.root+`","/subpets"]`)
	wantError(t, e.do(t, "PATCH", base+subID, patch(pop("replace", "/pathPart", "pets"))), 409, "ConflictException", "Another resource with the same parent already has this name: pets")

	renamed := members(t, e.must(t, http.StatusOK, "PATCH", base+petsID, patch(pop("replace", "/pathPart", "dogs"))), resourceMembers...)
	wantJSON(t, "renamed path", renamed["path"], `"/dogs"`)
	e.must(t, http.StatusAccepted, "DELETE", base+petsID, nil)
	e.must(t, http.StatusOK, "GET", base+subID, nil)

	t.Run("delete removes children", func(t *testing.T) {
		p := create(a.root, "parent")["id"].(string)
		c := create(p, "child")["id"].(string)
		e.must(t, http.StatusAccepted, "DELETE", base+p, nil)
		wantError(t, e.do(t, "DELETE", base+c, nil), 404, "NotFoundException", "Invalid Resource identifier specified")
	})
	t.Run("wrong parent", func(t *testing.T) {
		wantError(t, e.do(t, "POST", base+"fake-resource-id", map[string]string{"pathPart": "subpets"}), 404, "NotFoundException", "Invalid Resource identifier specified")
	})
	t.Run("proxy validation", func(t *testing.T) {
		proxy := create(a.root, "{proxy+}")["id"].(string)
		wantError(t, e.do(t, "POST", base+a.root, map[string]string{"pathPart": "{dynamic}"}), 400, "BadRequestException", "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed")
		for _, part := range []string{"child", "{child}"} {
			wantError(t, e.do(t, "POST", base+proxy, map[string]string{"pathPart": part}), 400, "BadRequestException", "Cannot create a child of a resource with a greedy path variable: {proxy+}")
		}
		parent := create(a.root, "parent2")["id"].(string)
		greedy := create(parent, "{child+}")
		wantJSON(t, "greedy path", greedy["path"], `"/parent2/{child+}"`)
	})
}

var methodMembers = []string{"apiKeyRequired", "authorizationType", "httpMethod"}

func TestParityMethods(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	m := "/restapis/" + a.id + "/resources/" + a.root + "/methods/"

	t.Run("lifecycle", func(t *testing.T) {
		r := e.must(t, http.StatusCreated, "PUT", m+"ANY", map[string]any{"authorizationType": "NONE"})
		got := members(t, r, methodMembers...)
		wantJSON(t, "put method", got, `{"apiKeyRequired":false,"authorizationType":"NONE","httpMethod":"ANY"}`)
		members(t, e.must(t, http.StatusOK, "GET", m+"ANY", nil), methodMembers...)
		if r := e.must(t, http.StatusNoContent, "DELETE", m+"ANY", nil); len(r.body) != 0 {
			t.Errorf("delete body %s", r.body)
		}
		wantError(t, e.do(t, "GET", m+"ANY", nil), 404, "NotFoundException", "Invalid Method identifier specified")
		wantError(t, e.do(t, "DELETE", m+"ANY", nil), 404, "NotFoundException", "Invalid Method identifier specified")
	})
	t.Run("request parameters", func(t *testing.T) {
		params := map[string]bool{"method.request.querystring.q_optional": false, "method.request.querystring.q_required": true, "method.request.header.h_optional": false, "method.request.header.h_required": true}
		r := e.must(t, http.StatusCreated, "PUT", m+"ANY", map[string]any{"authorizationType": "NONE", "requestParameters": params})
		members(t, r, append(methodMembers, "requestParameters")...)
		wantError(t, e.do(t, "PUT", m+"GET", map[string]any{"authorizationType": "NONE", "requestParameters": map[string]bool{"method.request.querystring.optional": false, "method.request.header.optional": false}}),
			400, "BadRequestException", "Parameter names must be unique across querystring, header and path")
		e.must(t, http.StatusNoContent, "DELETE", m+"ANY", nil)
	})
	t.Run("put validation", func(t *testing.T) {
		wantError(t, e.do(t, "PUT", "/restapis/fake-api/resources/"+a.root+"/methods/WRONG", map[string]any{"authorizationType": "NONE"}), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "PUT", "/restapis/"+a.id+"/resources/fake-resource-id/methods/WRONG", map[string]any{"authorizationType": "NONE"}), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "PUT", m+"WRONG", map[string]any{"authorizationType": "NONE"}), 400, "BadRequestException", "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
		wantError(t, e.do(t, "PUT", m+"ANY", map[string]any{"authorizationType": "CUSTOM"}), 400, "BadRequestException", "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.")
		wantError(t, e.do(t, "PUT", m+"ANY", map[string]any{"authorizationType": "NONE", "requestValidatorId": "fake-validator"}), 400, "BadRequestException", "Invalid Request Validator identifier specified")
		wantError(t, e.do(t, "PUT", m+"ANY", map[string]any{"authorizationType": "NONE", "requestModels": map[string]string{"application/json": "petModel"}}), 400, "BadRequestException", "Invalid model identifier specified: petModel")
	})
	t.Run("update", func(t *testing.T) {
		e.must(t, http.StatusCreated, "PUT", m+"ANY", map[string]any{"authorizationType": "NONE"})
		r := e.must(t, http.StatusOK, "PATCH", m+"ANY", patch(pop("add", "/requestParameters/method.request.querystring.optional", "true"), pop("add", "/requestModels/application~1json", "Empty")))
		got := members(t, r, append(methodMembers, "requestModels", "requestParameters")...)
		wantJSON(t, "requestModels", got["requestModels"], `{"application/json":"Empty"}`)
		r = e.must(t, http.StatusOK, "PATCH", m+"ANY", patch(pop("replace", "/operationName", "ReplacedOperationName"), pop("replace", "/apiKeyRequired", "true"),
			pop("replace", "/authorizationType", "AWS_IAM"), pop("replace", "/requestParameters/method.request.querystring.optional", "false")))
		got = members(t, r, append(methodMembers, "operationName", "requestModels", "requestParameters")...)
		wantJSON(t, "replaced", []any{got["apiKeyRequired"], got["authorizationType"], got["requestParameters"]}, `[true,"AWS_IAM",{"method.request.querystring.optional":false}]`)
		r = e.must(t, http.StatusOK, "PATCH", m+"ANY", patch(pop("remove", "/requestParameters/method.request.querystring.optional", "true"), pop("remove", "/requestModels/application~1json", "Empty")))
		members(t, r, append(methodMembers, "operationName")...)
		e.must(t, http.StatusNoContent, "DELETE", m+"ANY", nil)
	})
	t.Run("update validation", func(t *testing.T) {
		wantError(t, e.do(t, "PATCH", "/restapis/fake-api/resources/"+a.root+"/methods/ANY", patch()), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "PATCH", "/restapis/"+a.id+"/resources/fake-resource-id/methods/ANY", patch()), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "PATCH", m+"GET", patch(pop("replace", "/operationName", "methodDoesNotExist"))), 404, "NotFoundException", "Invalid Method identifier specified")
		members(t, e.must(t, http.StatusCreated, "PUT", m+"ANY", map[string]any{"authorizationType": "NONE", "apiKeyRequired": true}), methodMembers...)
		tests := []struct {
			name string
			ops  map[string]any
			msg  string
		}{
			{"add operation name", patch(pop("add", "/operationName", "operationName")), "Invalid patch operation specified. Must be one of: [replace]"},
			{"add validator", patch(pop("add", "/requestValidatorId", "wrong-id")), "Invalid patch operation specified. Must be one of: [replace]"},
			{"http method", patch(pop("add", "/httpMethod", "PUT")), "Invalid patch path /httpMethod"},
			{"request parameters", patch(pop("replace", "/requestParameters", "method.request.querystring.optional=false")), "Invalid patch path /requestParameters"},
			{"request models unescaped", patch(pop("add", "/requestModels/application/json", "Empty")), "Invalid patch path /requestModels/application/json"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, e.do(t, "PATCH", m+"ANY", tc.ops), 400, "BadRequestException", tc.msg)
			})
		}
		got := members(t, e.must(t, http.StatusOK, "PATCH", m+"ANY", patch(pop("replace", "/apiKeyRequired", "whatever"))), methodMembers...)
		wantJSON(t, "apiKeyRequired whatever", got["apiKeyRequired"], `false`)
		const noAuthorizer = "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."
		wantError(t, e.do(t, "PATCH", m+"ANY", patch(pop("replace", "/authorizationType", "CUSTOM"))), 400, "BadRequestException", noAuthorizer)
		members(t, e.must(t, http.StatusOK, "PATCH", m+"ANY", patch(pop("replace", "/authorizerId", "abc123"))), methodMembers...)
		wantError(t, e.do(t, "PATCH", m+"ANY", patch(pop("replace", "/authorizationType", "CUSTOM"), pop("replace", "/authorizerId", "abc123"))), 400, "BadRequestException", noAuthorizer)
		wantError(t, e.do(t, "PATCH", m+"ANY", patch(pop("replace", "/requestValidatorId", "fake-id"))), 400, "BadRequestException", "Invalid Request Validator identifier specified")
	})
}

func TestParityMethodModels(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	models := "/restapis/" + a.id + "/models"
	for _, n := range []string{"MySchema", "MySchemaTwo"} {
		r := e.must(t, http.StatusCreated, "POST", models, map[string]string{"name": n, "contentType": "application/json", "description": "", "schema": `{"title": "` + n + `", "type": "object"}`})
		members(t, r, "contentType", "id", "name", "schema")
	}
	m := "/restapis/" + a.id + "/resources/" + a.root + "/methods/ANY"
	e.must(t, http.StatusCreated, "PUT", m, map[string]any{"authorizationType": "NONE", "requestModels": map[string]string{"application/json": "MySchema"}})
	wantError(t, e.do(t, "DELETE", models+"/MySchema", nil), 409, "ConflictException", "Cannot delete model 'MySchema', is referenced in method request: //ANY")
	e.must(t, http.StatusOK, "PATCH", m, patch(pop("replace", "/requestModels/application~1json", "MySchemaTwo")))
	e.must(t, http.StatusAccepted, "DELETE", models+"/MySchema", nil)
	wantError(t, e.do(t, "DELETE", models+"/MySchemaTwo", nil), 409, "ConflictException", "Cannot delete model 'MySchemaTwo', is referenced in method request: //ANY")
	e.must(t, http.StatusNoContent, "DELETE", m, nil)
	e.must(t, http.StatusAccepted, "DELETE", models+"/MySchemaTwo", nil)
}

func TestParityModels(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	models := "/restapis/" + a.id + "/models"
	schema := `{"title": "Calc output", "type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"]}`

	r := e.must(t, http.StatusCreated, "POST", models, map[string]string{"name": "CalcOutput", "contentType": "application/json", "description": "Calc output model", "schema": schema})
	members(t, r, "contentType", "description", "id", "name", "schema")

	t.Run("default models", func(t *testing.T) {
		var list struct {
			Items []map[string]any `json:"item"`
		}
		e.must(t, http.StatusOK, "GET", models, nil).json(t, &list)
		byName := map[string]map[string]any{}
		for _, m := range list.Items {
			byName[m["name"].(string)] = m
		}
		if len(byName) != 3 {
			t.Fatalf("models %v, want CalcOutput, Empty and Error", list.Items)
		}
		wantJSON(t, "Empty description", byName["Empty"]["description"], `"This is a default empty schema model"`)
		wantJSON(t, "Error description", byName["Error"]["description"], `"This is a default error schema model"`)
		var s map[string]any
		if err := json.Unmarshal([]byte(byName["Empty"]["schema"].(string)), &s); err != nil {
			t.Fatal(err)
		}
		wantJSON(t, "Empty schema", s, `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Empty Schema","type":"object"}`)
		if err := json.Unmarshal([]byte(byName["Error"]["schema"].(string)), &s); err != nil {
			t.Fatal(err)
		}
		wantJSON(t, "Error schema", s, `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Error Schema","type":"object","properties":{"message":{"type":"string"}}}`)
	})
	members(t, e.must(t, http.StatusOK, "GET", models+"/CalcOutput", nil), "contentType", "description", "id", "name", "schema")
	e.must(t, http.StatusAccepted, "DELETE", models+"/CalcOutput", nil)

	t.Run("validation", func(t *testing.T) {
		body := map[string]string{"name": "MySchema", "contentType": "application/json", "description": "Test model", "schema": `{"title": "MySchema", "type": "object"}`}
		wantError(t, e.do(t, "POST", "/restapis/abcde0/models", body), 404, "NotFoundException", notFoundAPI("abcde0"))
		wantError(t, e.do(t, "GET", "/restapis/abcde0/models", nil), 404, "NotFoundException", notFoundAPI("abcde0"))
		wantError(t, e.do(t, "GET", "/restapis/abcde0/models/MySchema", nil), 404, "NotFoundException", "Invalid model name specified: MySchema")
		wantError(t, e.do(t, "DELETE", "/restapis/abcde0/models/MySchema", nil), 404, "NotFoundException", "Invalid model name specified: MySchema")
		body["description"] = ""
		e.must(t, http.StatusCreated, "POST", models, body)
		wantError(t, e.do(t, "POST", models, body), 409, "ConflictException", "Model name already exists for this REST API")
		wantError(t, e.do(t, "POST", models, map[string]string{"name": "", "contentType": "application/json", "schema": body["schema"]}), 400, "BadRequestException", "Model name must be non-empty")
		const noProps = "Model schema must have at least 1 property or array items defined"
		wantError(t, e.do(t, "POST", models, map[string]string{"name": "MyEmptySchema", "contentType": "application/json", "schema": ""}), 400, "BadRequestException", noProps)
		wantError(t, e.do(t, "POST", models, map[string]string{"name": "MyEmptySchema", "contentType": "application/json"}), 400, "BadRequestException", noProps)
		wantError(t, e.do(t, "POST", models, map[string]string{"name": "MyEmptySchemaXml", "contentType": "application/xml"}), 400, "BadRequestException", noProps)
	})
	t.Run("update", func(t *testing.T) {
		ops := patch(pop("replace", "/schema", `{"title": "Updated schema", "type": "object"}`), pop("replace", "/description", ""))
		wantError(t, e.do(t, "PATCH", "/restapis/abcde0/models/mySchema", ops), 404, "NotFoundException", "Invalid model name specified: mySchema")
		members(t, e.must(t, http.StatusOK, "PATCH", models+"/MySchema", ops), "contentType", "id", "name", "schema")
		wantError(t, e.do(t, "PATCH", models+"/MySchema", patch(pop("add", "/wrong-path", "not supported op"))), 400, "BadRequestException",
			"Invalid patch path  '/wrong-path' specified for op 'add'. Please choose supported operations")
		wantError(t, e.do(t, "PATCH", models+"/MySchema", patch(pop("replace", "/name", "invalid"))), 400, "BadRequestException",
			"Invalid patch path  '/name' specified for op 'replace'. Must be one of: [/description, /schema]")
		wantError(t, e.do(t, "PATCH", models+"/MySchema", patch(pop("replace", "/schema", ""))), 400, "BadRequestException", "Model schema must have at least 1 property or array items defined")
	})
}

var validatorMembers = []string{"id", "name", "validateRequestBody", "validateRequestParameters"}

func TestParityRequestValidators(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	vs := "/restapis/" + a.id + "/requestvalidators"

	wantError(t, e.do(t, "POST", "/restapis/test-fake-rest-id/requestvalidators", map[string]any{"name": "test-validator", "validateRequestBody": true}), 400, "BadRequestException", "Invalid REST API identifier specified")
	wantError(t, e.do(t, "GET", "/restapis/test-fake-rest-id/requestvalidators", nil), 404, "NotFoundException", notFoundAPI("test-fake-rest-id"))

	r := e.must(t, http.StatusCreated, "POST", vs, map[string]any{"name": "test-validator"})
	v := members(t, r, validatorMembers...)
	wantJSON(t, "defaults", []any{v["validateRequestBody"], v["validateRequestParameters"]}, `[false,false]`)
	id := v["id"].(string)
	members(t, e.must(t, http.StatusOK, "GET", vs+"/"+id, nil), validatorMembers...)
	v = members(t, e.must(t, http.StatusOK, "PATCH", vs+"/"+id, patch(pop("replace", "/validateRequestBody", "true"))), validatorMembers...)
	wantJSON(t, "with value", v["validateRequestBody"], `true`)
	v = members(t, e.must(t, http.StatusOK, "PATCH", vs+"/"+id, patch(noValue("replace", "/validateRequestBody"))), validatorMembers...)
	wantJSON(t, "without value", v["validateRequestBody"], `false`)

	tests := []struct {
		name string
		ops  map[string]any
		msg  string
	}{
		{"add", patch(pop("add", "/validateRequestBody", "true")), "Invalid patch path  '/validateRequestBody' specified for op 'add'. Please choose supported operations"},
		{"remove", patch(noValue("remove", "/validateRequestBody")), "Invalid patch path  '/validateRequestBody' specified for op 'remove'. Please choose supported operations"},
		{"invalid path", patch(pop("replace", "/invalidPath", "true")), "Invalid patch path  '/invalidPath' specified for op 'replace'. Must be one of: [/name, /validateRequestParameters, /validateRequestBody]"},
		{"empty name", patch(pop("replace", "/name", "")), "Request Validator name cannot be blank"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.do(t, "PATCH", vs+"/"+id, tc.ops), 400, "BadRequestException", tc.msg)
		})
	}

	e.must(t, http.StatusAccepted, "DELETE", vs+"/"+id, nil)
	const noValidator = "Invalid Request Validator identifier specified"
	wantError(t, e.do(t, "GET", vs+"/"+id, nil), 404, "NotFoundException", noValidator)
	wantError(t, e.do(t, "GET", "/restapis/api_id/requestvalidators/"+id, nil), 404, "NotFoundException", noValidator)
	wantError(t, e.do(t, "DELETE", "/restapis/api_id/requestvalidators/"+id, nil), 404, "NotFoundException", noValidator)
	wantError(t, e.do(t, "DELETE", vs+"/"+id, nil), 404, "NotFoundException", noValidator)
	var list struct {
		Items []any `json:"item"`
	}
	e.must(t, http.StatusOK, "GET", vs, nil).json(t, &list)
	if len(list.Items) != 0 {
		t.Errorf("validators after delete %v", list.Items)
	}
}

var gatewayResponseMembers = []string{"defaultResponse", "responseParameters", "responseTemplates", "responseType", "statusCode"}

const defaultGatewayTemplates = `{"application/json":"{\"message\":$context.error.messageString}"}`

func TestParityGatewayResponses(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	gr := "/restapis/" + a.id + "/gatewayresponses/"

	g := members(t, e.must(t, http.StatusOK, "GET", gr+"MISSING_AUTHENTICATION_TOKEN", nil), gatewayResponseMembers...)
	wantJSON(t, "default", g, `{"defaultResponse":true,"responseParameters":{},"responseTemplates":`+defaultGatewayTemplates+`,"responseType":"MISSING_AUTHENTICATION_TOKEN","statusCode":"403"}`)
	params := map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'a.b.c'"}
	g = members(t, e.must(t, http.StatusCreated, "PUT", gr+"MISSING_AUTHENTICATION_TOKEN", map[string]any{"statusCode": "404", "responseParameters": params, "responseTemplates": map[string]string{"application/json": "{}"}}), gatewayResponseMembers...)
	wantJSON(t, "put", g["defaultResponse"], `false`)

	var list struct {
		Items []map[string]any `json:"item"`
	}
	e.must(t, http.StatusOK, "GET", "/restapis/"+a.id+"/gatewayresponses", nil).json(t, &list)
	if len(list.Items) != 21 {
		t.Errorf("%d gateway responses, want AWS's 21", len(list.Items))
	}
	for _, it := range list.Items {
		if it["responseType"] == "DEFAULT_4XX" {
			wantJSON(t, "DEFAULT_4XX", it, `{"defaultResponse":true,"responseParameters":{},"responseTemplates":`+defaultGatewayTemplates+`,"responseType":"DEFAULT_4XX"}`)
		}
	}
	e.must(t, http.StatusAccepted, "DELETE", gr+"MISSING_AUTHENTICATION_TOKEN", nil)
	g = members(t, e.must(t, http.StatusOK, "GET", gr+"MISSING_AUTHENTICATION_TOKEN", nil), gatewayResponseMembers...)
	wantJSON(t, "after delete", g["statusCode"], `"403"`)

	t.Run("validation", func(t *testing.T) {
		for _, m := range []string{"GET", "DELETE", "PATCH"} {
			wantError(t, e.do(t, m, "/restapis/fake-api-id/gatewayresponses/DEFAULT_4XX", patch()), 404, "NotFoundException", notFoundAPI("fake-api-id"))
		}
		wantError(t, e.do(t, "DELETE", gr+"DEFAULT_4XX", nil), 404, "NotFoundException", "Gateway response type not defined on api")
		for _, m := range []string{"GET", "DELETE", "PATCH", "PUT"} {
			r := e.do(t, m, gr+"FAKE_RESPONSE_TYPE", patch())
			if r.status != 400 || r.errorType() != "ValidationException" || !strings.HasPrefix(r.message(t), "1 validation error detected: Value 'FAKE_RESPONSE_TYPE' at 'responseType' failed to satisfy constraint: Member must satisfy enum value set: [") {
				t.Errorf("%s FAKE_RESPONSE_TYPE = %d %s %s", m, r.status, r.errorType(), r.body)
			}
		}
	})
	t.Run("update", func(t *testing.T) {
		g := members(t, e.must(t, http.StatusOK, "PATCH", gr+"DEFAULT_4XX", patch(pop("replace", "/statusCode", "444"))), gatewayResponseMembers...)
		wantJSON(t, "update not set", g, `{"defaultResponse":false,"responseParameters":{},"responseTemplates":`+defaultGatewayTemplates+`,"responseType":"DEFAULT_4XX","statusCode":"444"}`)
		tests := []struct {
			name string
			ops  map[string]any
			msg  string
		}{
			{"add status code", patch(pop("add", "/statusCode", "444")), "Invalid patch path /statusCode"},
			{"remove status code", patch(noValue("remove", "/statusCode")), "Invalid patch path /statusCode"},
			{"wrong path", patch(pop("replace", "/wrongPath", "x")), "Invalid patch path /wrongPath"},
			{"no path", map[string]any{"patchOperations": []map[string]string{{"op": "replace", "value": "x"}}}, "Invalid patch path null"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, e.do(t, "PATCH", gr+"DEFAULT_4XX", tc.ops), 400, "BadRequestException", tc.msg)
			})
		}
	})
}

func TestParityAuthorizersNoAPI(t *testing.T) {
	e := newEnv(t)
	// AWS checks the authorizer before the API and answers a missing API with a 409.
	wantError(t, e.do(t, "POST", "/restapis/test-fake-rest-id/authorizers", map[string]string{"name": "fake-auth-name", "type": "TOKEN",
		"authorizerUri":  "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:myApiAuthorizer/invocations",
		"identitySource": "method.request.header.Authorization"}), 409, "ConflictException", "Unable to complete operation due to concurrent modification. Please try again later.")
	wantError(t, e.do(t, "GET", "/restapis/test-fake-rest-id/authorizers", nil), 404, "NotFoundException", notFoundAPI("test-fake-rest-id"))
}

// mockMethod puts GET on the API's root with a MOCK integration and returns the method path.
func (e *env) mockMethod(t *testing.T, a parityAPI) string {
	t.Helper()
	m := "/restapis/" + a.id + "/resources/" + a.root + "/methods/GET"
	e.must(t, http.StatusCreated, "PUT", m, map[string]any{"authorizationType": "NONE"})
	e.must(t, http.StatusCreated, "PUT", m+"/integration", map[string]any{"type": "MOCK", "requestTemplates": map[string]string{"application/json": `{"statusCode": 200}`}})
	return m
}

const badStatusCode = `1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`

func TestParityIntegrations(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	root := "/restapis/" + a.id + "/resources/" + a.root + "/methods/"
	e.must(t, http.StatusCreated, "PUT", root+"GET", map[string]any{"authorizationType": "NONE"})

	t.Run("get non-existent", func(t *testing.T) {
		wantError(t, e.do(t, "GET", "/restapis/fake-api/resources/"+a.root+"/methods/GET/integration", nil), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "GET", "/restapis/"+a.id+"/resources/fake-res/methods/GET/integration", nil), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "GET", root+"POST/integration", nil), 404, "NotFoundException", "Invalid Method identifier specified")
		wantError(t, e.do(t, "GET", root+"GET/integration", nil), 404, "NotFoundException", "Invalid Integration identifier specified")
	})
	t.Run("put wrong type", func(t *testing.T) {
		wantError(t, e.do(t, "PUT", root+"GET/integration", map[string]any{"type": "HTTPS_PROXY", "httpMethod": "GET", "uri": "http://example.com"}), 400, "ValidationException",
			"1 validation error detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]")
	})
	t.Run("put validation", func(t *testing.T) {
		wantError(t, e.do(t, "PUT", root+"POST/integration", map[string]any{"type": "MOCK"}), 404, "NotFoundException", "Invalid Method identifier specified")
		wantError(t, e.do(t, "PUT", "/restapis/"+a.id+"/resources/fake-res/methods/GET/integration", map[string]any{"type": "MOCK"}), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "PUT", root+"POST/integration/responses/200", map[string]any{}), 404, "NotFoundException", "Invalid Method identifier specified")
		wantError(t, e.do(t, "PUT", "/restapis/"+a.id+"/resources/fake-res/methods/GET/integration/responses/200", map[string]any{}), 404, "NotFoundException", "Invalid Resource identifier specified")
	})
}

// AWS also answers an explicitly empty selectionPattern; Portico's model does not keep an
// empty one apart from none, so the member is not compared.
var integrationResponseMembers = []string{"responseTemplates", "statusCode"}

func TestParityIntegrationResponses(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	m := e.mockMethod(t, a)
	ir := m + "/integration/responses/"

	// AWS takes an integration response without a method response for its status code.
	body := map[string]any{"selectionPattern": "", "responseTemplates": map[string]string{"application/json": `"created"`}}
	members(t, e.must(t, http.StatusCreated, "PUT", ir+"200", body), integrationResponseMembers...)
	members(t, e.must(t, http.StatusOK, "GET", ir+"200", nil), integrationResponseMembers...)
	u := members(t, e.must(t, http.StatusOK, "PATCH", ir+"200", patch(pop("replace", "/selectionPattern", "updated-pattern"))), append(integrationResponseMembers, "selectionPattern")...)
	wantJSON(t, "updated", u["selectionPattern"], `"updated-pattern"`)
	body = map[string]any{"selectionPattern": "overwrite-pattern", "responseTemplates": map[string]string{"application/json": "overwrite"}}
	members(t, e.must(t, http.StatusCreated, "PUT", ir+"200", body), append(integrationResponseMembers, "selectionPattern")...)
	var method map[string]any
	e.must(t, http.StatusOK, "GET", m, nil).json(t, &method)
	if _, ok := method["methodResponses"]; ok {
		t.Errorf("method %v has methodResponses, AWS has none", method)
	}
	integ, _ := method["methodIntegration"].(map[string]any)
	wantJSON(t, "integrationResponses", integ["integrationResponses"], `{"200":{"responseTemplates":{"application/json":"overwrite"},"selectionPattern":"overwrite-pattern","statusCode":"200"}}`)

	t.Run("no template", func(t *testing.T) {
		members(t, e.must(t, http.StatusCreated, "PUT", ir+"201", map[string]any{"selectionPattern": ""}), "statusCode")
	})
	t.Run("errors", func(t *testing.T) {
		for _, method := range []string{"PUT", "GET"} {
			r := e.do(t, method, ir+"wrong", map[string]any{})
			wantError(t, r, 400, "ValidationException", badStatusCode)
		}
		wantError(t, e.do(t, "GET", "/restapis/fake-api/resources/"+a.root+"/methods/GET/integration/responses/200", nil), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "GET", ir+"404", nil), 404, "NotFoundException", "Invalid Response status code specified")
		wantError(t, e.do(t, "DELETE", "/restapis/"+a.id+"/resources/fake-res/methods/GET/integration/responses/200", nil), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "DELETE", "/restapis/fake-api/resources/"+a.root+"/methods/GET/integration/responses/200", nil), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "DELETE", "/restapis/"+a.id+"/resources/"+a.root+"/methods/POST/integration/responses/200", nil), 404, "NotFoundException", "Invalid Integration identifier specified")
		wantError(t, e.do(t, "DELETE", ir+"404", nil), 404, "NotFoundException", "Invalid Response status code specified")
	})
	t.Run("without integration", func(t *testing.T) {
		p := "/restapis/" + a.id + "/resources/" + a.root + "/methods/PUT"
		e.must(t, http.StatusCreated, "PUT", p, map[string]any{"authorizationType": "NONE"})
		wantError(t, e.do(t, "GET", p+"/integration/responses/200", nil), 404, "NotFoundException", "Invalid Integration identifier specified")
	})
	e.must(t, http.StatusNoContent, "DELETE", ir+"200", nil)
}

var methodResponseMembers = []string{"responseModels", "responseParameters", "statusCode"}

func TestParityMethodResponses(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	mr := e.mockMethod(t, a) + "/responses/"

	got := members(t, e.must(t, http.StatusCreated, "PUT", mr+"200", map[string]any{}), methodResponseMembers...)
	wantJSON(t, "put", got, `{"responseModels":{},"responseParameters":{},"statusCode":"200"}`)
	members(t, e.must(t, http.StatusOK, "GET", mr+"200", nil), methodResponseMembers...)
	add := patch(pop("add", "/responseParameters/method.response.header.my-header", "true"), pop("add", "/responseModels/application~1json", "Empty"))
	got = members(t, e.must(t, http.StatusCreated, "PATCH", mr+"200", add), methodResponseMembers...)
	wantJSON(t, "add", got, `{"responseModels":{"application/json":"Empty"},"responseParameters":{"method.response.header.my-header":true},"statusCode":"200"}`)

	t.Run("errors", func(t *testing.T) {
		wantError(t, e.do(t, "PATCH", mr+"201", add), 404, "NotFoundException", "Invalid Response status code specified")
		wantError(t, e.do(t, "PATCH", mr+"wrong", add), 400, "ValidationException", badStatusCode)
		r := e.do(t, "PATCH", mr+"wrong", add)
		wantError(t, e.do(t, "PATCH", "/restapis/"+a.id+"/resources/fake-res/methods/GET/responses/200", add), 404, "NotFoundException", "Invalid Resource identifier specified")
		wantError(t, e.do(t, "PATCH", "/restapis/"+a.id+"/resources/"+a.root+"/methods/POST/responses/200", add), 404, "NotFoundException", "Invalid Method identifier specified")
		r = e.do(t, "PATCH", mr+"200", patch(pop("wrong_op", "/responseModels/application~1json", "Empty"), pop("add", "/responseModels/a~1b", "Empty"), pop("wrong_op", "/responseModels/a~1b", "Empty")))
		const opEnum = "failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"
		wantError(t, r, 400, "ValidationException", "2 validation errors detected: Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.1.member.op' "+opEnum+
			"; Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.3.member.op' "+opEnum)
		wantError(t, e.do(t, "PATCH", mr+"wrong", patch(pop("wrong_op", "/responseModels/a~1b", "Empty"))), 400, "ValidationException",
			"2 validation errors detected: Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.1.member.op' "+opEnum+"; "+strings.TrimPrefix(badStatusCode, "1 validation error detected: "))
	})
	t.Run("missing keys", func(t *testing.T) {
		wantError(t, e.do(t, "PATCH", mr+"200", patch(noValue("remove", "/responseParameters/method.response.header.other"))), 404, "NotFoundException", "Invalid parameter name specified")
		wantError(t, e.do(t, "PATCH", mr+"200", patch(noValue("remove", "/responseModels/application~1xml"))), 404, "NotFoundException", "Content-Type specified was not found")
		wantError(t, e.do(t, "PATCH", mr+"200", patch(noValue("remove", "/wrong/method.response.header.my-header"))), 400, "BadRequestException", "Invalid patch path /wrong/method.response.header.my-header")
	})
	if r := e.must(t, http.StatusNoContent, "DELETE", mr+"200", nil); len(r.body) != 0 {
		t.Errorf("delete body %s", r.body)
	}
}

var stageMembers = []string{"cacheClusterEnabled", "cacheClusterStatus", "createdDate", "deploymentId", "lastUpdatedDate", "methodSettings", "stageName", "tracingEnabled"}

func TestParityDeployments(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	e.mockMethod(t, a)
	base := "/restapis/" + a.id

	d := members(t, e.must(t, http.StatusCreated, "POST", base+"/deployments", map[string]any{"stageName": "s1"}), "createdDate", "id")
	id := d["id"].(string)
	members(t, e.must(t, http.StatusOK, "GET", base+"/deployments/"+id, nil), "createdDate", "id")
	var stages struct {
		Item []map[string]any `json:"item"`
	}
	e.must(t, http.StatusOK, "GET", base+"/stages", nil).json(t, &stages)
	if len(stages.Item) != 1 {
		t.Fatalf("stages %v, want s1", stages.Item)
	}
	got := stages.Item[0]
	delete(got, "createdDate")
	delete(got, "lastUpdatedDate")
	wantJSON(t, "stage", got, `{"cacheClusterEnabled":false,"cacheClusterStatus":"NOT_AVAILABLE","deploymentId":"`+id+`","methodSettings":{},"stageName":"s1","tracingEnabled":false}`)
	const active = "Active stages pointing to this deployment must be moved or deleted"
	wantError(t, e.do(t, "DELETE", base+"/deployments/"+id, nil), 400, "BadRequestException", active)

	d2 := e.must(t, http.StatusCreated, "POST", base+"/deployments", map[string]any{})
	var second map[string]any
	d2.json(t, &second)
	id2 := second["id"].(string)
	e.must(t, http.StatusOK, "PATCH", base+"/stages/s1", patch(pop("replace", "/deploymentId", id2)))
	e.must(t, http.StatusAccepted, "DELETE", base+"/deployments/"+id, nil)
	wantError(t, e.do(t, "DELETE", base+"/deployments/"+id2, nil), 400, "BadRequestException", active)
}

func TestParityStages(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	e.mockMethod(t, a)
	base := "/restapis/" + a.id
	var d map[string]any
	e.must(t, http.StatusCreated, "POST", base+"/deployments", map[string]any{}).json(t, &d)
	s := members(t, e.must(t, http.StatusCreated, "POST", base+"/stages", map[string]any{"stageName": "s1", "deploymentId": d["id"], "description": "my stage"}),
		append(stageMembers, "description")...)
	wantJSON(t, "defaults", []any{s["cacheClusterEnabled"], s["cacheClusterStatus"], s["methodSettings"], s["tracingEnabled"]}, `[false,"NOT_AVAILABLE",{},false]`)
	sp := base + "/stages/s1"

	const paths = "[/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, " +
		"/{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, " +
		"/{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, " +
		"/{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, " +
		"/{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, " +
		"/*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, " +
		"/*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]"
	wantError(t, e.do(t, "PATCH", sp, patch(pop("replace", "/documentation_version", "123"))), 400, "BadRequestException", "Invalid method setting path: /documentation_version. Must be one of: "+paths)
	wantError(t, e.do(t, "PATCH", sp, patch(pop("replace", "/tags/tag1", "value1"))), 400, "BadRequestException", "Invalid method setting path: /tags/tag1. Must be one of: "+paths)
	wantError(t, e.do(t, "PATCH", sp, patch(noValue("remove", "/*/*"))), 400, "BadRequestException", "Cannot remove method setting */* because there is no method setting for this method ")

	u := members(t, e.must(t, http.StatusOK, "PATCH", sp, patch(pop("replace", "/description", "stage new"), pop("replace", "/variables/var1", "test"),
		pop("replace", "/tracingEnabled", "true"), pop("replace", "/*/*/caching/enabled", "true"), pop("replace", "/*/*/throttling/burstLimit", "123"),
		pop("replace", "/test/GET/throttling/burstLimit", "124"))), append(stageMembers, "description", "variables")...)
	const setting = `{"cacheDataEncrypted":false,"cacheTtlInSeconds":300,"cachingEnabled":true,"dataTraceEnabled":false,"metricsEnabled":false,` +
		`"requireAuthorizationForCacheControl":true,"throttlingBurstLimit":%s,"throttlingRateLimit":10000,"unauthorizedCacheControlHeaderStrategy":"SUCCEED_WITH_RESPONSE_HEADER"}`
	wantJSON(t, "methodSettings", u["methodSettings"], `{"*/*":`+strings.Replace(setting, "%s", "123", 1)+`,"test/GET":`+strings.Replace(setting, "%s", "124", 1)+`}`)
	wantJSON(t, "tracingEnabled", u["tracingEnabled"], `true`)

	r := members(t, e.must(t, http.StatusOK, "PATCH", sp, patch(noValue("remove", "/*/*"), noValue("remove", "/test/GET"))), append(stageMembers, "description", "variables")...)
	wantJSON(t, "after remove", r["methodSettings"], `{}`)
}

var apiKeyMembers = []string{"createdDate", "enabled", "id", "lastUpdatedDate", "name", "stageKeys"}

func TestParityAPIKeys(t *testing.T) {
	e := newEnv(t)
	k := members(t, e.must(t, http.StatusCreated, "POST", "/apikeys", map[string]any{"name": "test-key-1"}), append(apiKeyMembers, "value")...)
	wantJSON(t, "defaults", []any{k["enabled"], k["stageKeys"]}, `[false,[]]`)
	var list struct {
		Items []map[string]any `json:"item"`
	}
	e.must(t, http.StatusOK, "GET", "/apikeys", nil).json(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("keys %v", list.Items)
	}
	members(t, response{body: mustJSON(t, list.Items[0])}, apiKeyMembers...)
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"wrong name", "nothing", 0}, {"prefix", "test-key", 1}, {"prefix cased", "TEST-key", 0}, {"postfix", "key-1", 0}, {"infix", "key", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.must(t, http.StatusOK, "GET", "/apikeys?name="+tc.query, nil).json(t, &list)
			if len(list.Items) != tc.want {
				t.Errorf("name=%s: %d keys, want %d", tc.query, len(list.Items), tc.want)
			}
		})
	}
	u := members(t, e.must(t, http.StatusOK, "PATCH", "/apikeys/"+k["id"].(string), patch(pop("replace", "/enabled", "true"))), append(apiKeyMembers, "tags")...)
	wantJSON(t, "enabled", []any{u["enabled"], u["tags"]}, `[true,{}]`)
}

func TestParityUsagePlans(t *testing.T) {
	e := newEnv(t)
	a, _ := e.newAPI(t, nil)
	e.mockMethod(t, a)
	e.must(t, http.StatusCreated, "POST", "/restapis/"+a.id+"/deployments", map[string]any{"stageName": "dev"})

	p := members(t, e.must(t, http.StatusCreated, "POST", "/usageplans", map[string]any{"name": "plan", "description": "d",
		"apiStages": []map[string]string{{"apiId": a.id, "stage": "dev"}}}), "apiStages", "description", "id", "name")
	id := p["id"].(string)
	members(t, e.must(t, http.StatusOK, "GET", "/usageplans/"+id, nil), "apiStages", "description", "id", "name", "tags")
	u := members(t, e.must(t, http.StatusOK, "PATCH", "/usageplans/"+id, patch(pop("replace", "/throttle/burstLimit", "100"), pop("replace", "/throttle/rateLimit", "200"))),
		"apiStages", "description", "id", "name", "tags", "throttle")
	wantJSON(t, "throttle", u["throttle"], `{"burstLimit":100,"rateLimit":200}`)

	t.Run("empty plan", func(t *testing.T) {
		members(t, e.must(t, http.StatusCreated, "POST", "/usageplans", map[string]any{"name": "empty"}), "apiStages", "id", "name")
	})
	t.Run("keys", func(t *testing.T) {
		var k map[string]any
		e.must(t, http.StatusCreated, "POST", "/apikeys", map[string]any{"name": "k1"}).json(t, &k)
		// AWS also answers the key's value; Portico keeps only its hash after create-api-key.
		upk := members(t, e.must(t, http.StatusCreated, "POST", "/usageplans/"+id+"/keys", map[string]any{"keyId": k["id"], "keyType": "API_KEY"}), "id", "name", "type")
		wantJSON(t, "usage plan key", []any{upk["id"], upk["name"], upk["type"]}, mustString(t, []any{k["id"], "k1", "API_KEY"}))
		var list struct {
			Items []map[string]any `json:"item"`
		}
		e.must(t, http.StatusOK, "GET", "/usageplans/"+id+"/keys", nil).json(t, &list)
		if len(list.Items) != 1 {
			t.Fatalf("usage plan keys %v", list.Items)
		}
		members(t, response{body: mustJSON(t, list.Items[0])}, "id", "name", "type")
		e.must(t, http.StatusOK, "GET", "/usageplans/"+id+"/keys?nameQuery=K1", nil).json(t, &list)
		if len(list.Items) != 0 {
			t.Errorf("nameQuery is case-sensitive in AWS: got %v", list.Items)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustString(t *testing.T, v any) string { return string(mustJSON(t, v)) }
