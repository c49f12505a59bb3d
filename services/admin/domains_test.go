package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func (e *env) domain(t *testing.T, name string) model.DomainName {
	t.Helper()
	en, ok := e.raw(t, wire.KeyDomainName(name))
	if !ok {
		t.Fatalf("domain %s not stored", name)
	}
	var d model.DomainName
	if err := wire.Unmarshal(en.Value(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDomainNamesAndMappings(t *testing.T) {
	e := newEnv(t)
	api := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, api, "prod")
	e.deploy(t, api, "beta")

	var dv domainNameView
	e.must(t, http.StatusCreated, "POST", "/domainnames", map[string]any{
		"domainName": "API.Example.com", "regionalCertificateArn": "arn:aws:acm:us-east-1:1:certificate/x",
		"endpointConfiguration": map[string]any{"types": []string{"REGIONAL"}},
	}).json(t, &dv)
	if dv.DomainName != "api.example.com" || dv.DomainNameStatus != "AVAILABLE" {
		t.Fatalf("create-domain-name = %+v", dv)
	}
	var root, v1 basePathMappingView
	e.must(t, http.StatusCreated, "POST", "/domainnames/api.example.com/basepathmappings", map[string]any{"restApiId": api, "stage": "prod"}).json(t, &root)
	e.must(t, http.StatusCreated, "POST", "/domainnames/api.example.com/basepathmappings", map[string]any{"restApiId": api, "stage": "beta", "basePath": "v1"}).json(t, &v1)
	if root.BasePath != "(none)" || v1.BasePath != "v1" {
		t.Errorf("mappings = %+v %+v", root, v1)
	}
	if r := e.do(t, "POST", "/domainnames/api.example.com/basepathmappings", map[string]any{"restApiId": api, "stage": "prod", "basePath": "v1"}); r.status != http.StatusConflict {
		t.Errorf("duplicate base path = %d %s", r.status, r.body)
	}
	e.must(t, http.StatusOK, "PATCH", "/domainnames/api.example.com/basepathmappings/v1", map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/stage", Value: "prod"}}})
	d := e.domain(t, "api.example.com")
	if len(d.Mappings) != 2 || d.Mappings[0].BasePath != "" || d.Mappings[1].Stage != "prod" {
		t.Errorf("stored domain = %+v", d)
	}

	// The same record through apigatewayv2.
	var maps v2Items[v2APIMappingView]
	e.must(t, http.StatusOK, "GET", "/v2/domainnames/api.example.com/apimappings", nil).json(t, &maps)
	if len(maps.Items) != 2 || maps.Items[1].APIMappingKey != "v1" {
		t.Errorf("get-api-mappings = %+v", maps)
	}
	var m v2APIMappingView
	e.must(t, http.StatusCreated, "POST", "/v2/domainnames/api.example.com/apimappings", map[string]any{"apiId": api, "stage": "beta", "apiMappingKey": "v2/beta"}).json(t, &m)
	e.must(t, http.StatusOK, "PATCH", "/v2/domainnames/api.example.com/apimappings/"+m.APIMappingID, map[string]any{"apiMappingKey": "v3"})
	e.must(t, http.StatusOK, "GET", "/domainnames/api.example.com/basepathmappings/v3", nil)
	e.must(t, http.StatusNoContent, "DELETE", "/v2/domainnames/api.example.com/apimappings/"+m.APIMappingID, nil)
	e.must(t, http.StatusAccepted, "DELETE", "/domainnames/api.example.com/basepathmappings/(none)", nil)
	if d := e.domain(t, "api.example.com"); len(d.Mappings) != 1 || d.Mappings[0].BasePath != "v1" {
		t.Errorf("mappings after deletes = %+v", d.Mappings)
	}

	var v2d v2DomainView
	e.must(t, http.StatusCreated, "POST", "/v2/domainnames", map[string]any{"domainName": "ws.example.com",
		"domainNameConfigurations": []map[string]any{{"endpointType": "REGIONAL", "certificateArn": "arn:x"}}}).json(t, &v2d)
	if v2d.DomainNameConfigurations[0].CertificateARN != "arn:x" {
		t.Errorf("v2 create-domain-name = %+v", v2d)
	}
	var upd v2DomainView
	e.must(t, http.StatusOK, "PATCH", "/v2/domainnames/ws.example.com", map[string]any{
		"domainNameConfigurations": []map[string]any{{"certificateArn": "arn:y", "securityPolicy": "TLS_1_2"}}}).json(t, &upd)
	if c := upd.DomainNameConfigurations[0]; c.CertificateARN != "arn:y" || c.SecurityPolicy != "TLS_1_2" || c.EndpointType != "REGIONAL" {
		t.Errorf("v2 update-domain-name = %+v", upd)
	}
	if r := e.do(t, "PATCH", "/v2/domainnames/ws.example.com", map[string]any{"domainNameConfigurations": []map[string]any{{"securityPolicy": "SSL3"}}}); r.status != http.StatusBadRequest {
		t.Errorf("bad securityPolicy = %d %s", r.status, r.body)
	}
	var list paged[domainNameView]
	e.must(t, http.StatusOK, "GET", "/domainnames", nil).json(t, &list)
	if len(list.Item) != 2 {
		t.Errorf("get-domain-names = %+v", list)
	}
	e.must(t, http.StatusNoContent, "DELETE", "/v2/domainnames/ws.example.com", nil)
	e.must(t, http.StatusAccepted, "DELETE", "/domainnames/api.example.com", nil)
	e.must(t, http.StatusNotFound, "GET", "/domainnames/api.example.com", nil)
}

func TestDomainNamesBadInput(t *testing.T) {
	e := newEnv(t)
	api := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, api, "prod")
	e.must(t, http.StatusCreated, "POST", "/domainnames", map[string]any{"domainName": "a.example.com"})
	keys := strings.Join(e.keys(t), ",")
	en, _ := e.raw(t, wire.KeyDomainName("a.example.com"))
	rev := en.Revision()
	tests := []struct {
		name, method, path string
		body               any
		status             int
		msg                string
	}{
		{"wildcard", "POST", "/domainnames", map[string]any{"domainName": "*.example.com"}, 400, "*.example.com"},
		{"not a domain", "POST", "/domainnames", map[string]any{"domainName": "localhost"}, 400, "localhost"},
		{"duplicate", "POST", "/domainnames", map[string]any{"domainName": "A.example.com"}, 409, "a.example.com"},
		{"endpoint type", "POST", "/domainnames", map[string]any{"domainName": "b.example.com", "endpointConfiguration": map[string]any{"types": []string{"PRIVATE"}}}, 400, "PRIVATE"},
		{"unknown domain", "GET", "/domainnames/nope.example.com", nil, 404, "domain name"},
		{"unknown api", "POST", "/domainnames/a.example.com/basepathmappings", map[string]any{"restApiId": "nosuchapi", "stage": "prod"}, 400, "nosuchapi"},
		{"unknown stage", "POST", "/domainnames/a.example.com/basepathmappings", map[string]any{"restApiId": api, "stage": "nope"}, 400, "nope"},
		{"bad base path", "POST", "/domainnames/a.example.com/basepathmappings", map[string]any{"restApiId": api, "stage": "prod", "basePath": "a b"}, 400, "a b"},
		{"bad patch path", "PATCH", "/domainnames/a.example.com", map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/domainName", Value: "x"}}}, 400, "/domainName"},
		{"api mapping without stage", "POST", "/v2/domainnames/a.example.com/apimappings", map[string]any{"apiId": api}, 400, "stage"},
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
	if got := strings.Join(e.keys(t), ","); got != keys {
		t.Errorf("keys changed after failed requests: %s", got)
	}
	if en, _ := e.raw(t, wire.KeyDomainName("a.example.com")); en.Revision() != rev {
		t.Errorf("domain revision moved after failed requests")
	}
}
