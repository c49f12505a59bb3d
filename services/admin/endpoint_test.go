package admin

import (
	"net/http"
	"slices"
	"testing"
)

func TestEndpointConfigurationAndCompression(t *testing.T) {
	e := newEnv(t)
	var v restAPIView
	e.must(t, http.StatusCreated, "POST", "/restapis", map[string]any{"name": "regional",
		"endpointConfiguration": map[string]any{"types": []string{"REGIONAL"}}, "minimumCompressionSize": 1024}).json(t, &v)
	if !slices.Equal(v.EndpointConfiguration.Types, []string{"REGIONAL"}) || v.EndpointConfiguration.IPAddressType != "ipv4" ||
		v.MinimumCompressionSize == nil || *v.MinimumCompressionSize != 1024 {
		t.Fatalf("create-rest-api = %+v (endpoint %+v)", v, v.EndpointConfiguration)
	}
	var def restAPIView
	e.must(t, http.StatusCreated, "POST", "/restapis", map[string]any{"name": "default"}).json(t, &def)
	if !slices.Equal(def.EndpointConfiguration.Types, []string{"EDGE"}) || def.MinimumCompressionSize != nil {
		t.Fatalf("default endpoint = %+v, compression %v; want EDGE and none", def.EndpointConfiguration, def.MinimumCompressionSize)
	}

	path := "/restapis/" + v.ID
	var upd restAPIView
	e.must(t, http.StatusOK, "PATCH", path, map[string]any{"patchOperations": []map[string]string{
		{"op": "replace", "path": "/endpointConfiguration/types/REGIONAL", "value": "EDGE"},
		{"op": "replace", "path": "/minimumCompressionSize", "value": "0"},
	}}).json(t, &upd)
	if !slices.Equal(upd.EndpointConfiguration.Types, []string{"EDGE"}) || upd.MinimumCompressionSize == nil || *upd.MinimumCompressionSize != 0 {
		t.Fatalf("update-rest-api = endpoint %+v, compression %v", upd.EndpointConfiguration, upd.MinimumCompressionSize)
	}
	var off restAPIView
	e.must(t, http.StatusOK, "PATCH", path, map[string]any{"patchOperations": []map[string]string{
		{"op": "replace", "path": "/minimumCompressionSize", "value": ""}}}).json(t, &off)
	if off.MinimumCompressionSize != nil {
		t.Fatalf("compression after clearing = %v, want none", *off.MinimumCompressionSize)
	}
	for _, tt := range []struct {
		name string
		body any
	}{
		{"unknown type", map[string]any{"name": "x", "endpointConfiguration": map[string]any{"types": []string{"LOCAL"}}}},
		{"two types", map[string]any{"name": "x", "endpointConfiguration": map[string]any{"types": []string{"EDGE", "REGIONAL"}}}},
		{"compression too large", map[string]any{"name": "x", "minimumCompressionSize": 10485761}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := e.do(t, "POST", "/restapis", tt.body); r.status != http.StatusBadRequest || r.errorType() != "BadRequestException" {
				t.Errorf("create-rest-api %v = %d %s, want 400 BadRequestException", tt.body, r.status, r.body)
			}
		})
	}
	r := e.do(t, "PATCH", path, map[string]any{"patchOperations": []map[string]string{
		{"op": "replace", "path": "/endpointConfiguration/types/REGIONAL", "value": "EDGE"}}})
	if r.status != http.StatusBadRequest {
		t.Errorf("patching a type the API does not have = %d %s, want 400", r.status, r.body)
	}
}

func TestImportEndpointConfigurationTypes(t *testing.T) {
	e := newEnv(t)
	var v restAPIView
	e.must(t, http.StatusCreated, "POST", "/restapis?mode=import&endpointConfigurationTypes=REGIONAL",
		readFile(t, "petstore-oas3.yaml")).json(t, &v)
	if !slices.Equal(v.EndpointConfiguration.Types, []string{"REGIONAL"}) {
		t.Fatalf("imported endpoint = %+v, want REGIONAL", v.EndpointConfiguration)
	}
	if r := e.do(t, "POST", "/restapis?mode=import&endpointConfigurationTypes=NEARBY", readFile(t, "petstore-oas3.yaml")); r.status != http.StatusBadRequest {
		t.Fatalf("import with an unknown endpoint type = %d %s, want 400", r.status, r.body)
	}
}

func TestDisableExecuteAPIEndpointSetting(t *testing.T) {
	e := newEnv(t)
	var v restAPIView
	e.must(t, http.StatusCreated, "POST", "/restapis", map[string]any{"name": "private-ish", "disableExecuteApiEndpoint": true}).json(t, &v)
	if !v.DisableExecuteAPI {
		t.Fatalf("create-rest-api disableExecuteApiEndpoint = false, want true")
	}
	var upd restAPIView
	e.must(t, http.StatusOK, "PATCH", "/restapis/"+v.ID, map[string]any{"patchOperations": []map[string]string{
		{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "false"}}}).json(t, &upd)
	if upd.DisableExecuteAPI {
		t.Fatalf("after patch disableExecuteApiEndpoint = true, want false")
	}
	if r := e.do(t, "PATCH", "/restapis/"+v.ID, map[string]any{"patchOperations": []map[string]string{
		{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "maybe"}}}); r.status != http.StatusBadRequest {
		t.Fatalf("patch with a non-boolean = %d %s, want 400", r.status, r.body)
	}
}
