package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/portico/portico/pkg/model"
)

// shape summarises an API for comparison: path -> method -> integration type/uri/apiKey.
func shape(t *testing.T, e *env, apiID string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for p, r := range resourcesByPath(t, e, apiID) {
		var ms []string
		for verb, m := range r.ResourceMethods {
			in := model.Integration{}
			if m.MethodIntegration != nil {
				in = *m.MethodIntegration
			}
			ms = append(ms, verb+":"+in.Type+":"+in.URI+":"+in.HTTPMethod+":"+
				map[bool]string{true: "key", false: "open"}[m.APIKeyRequired]+":"+m.OperationName+":"+m.AuthorizationType+":"+
				fmt.Sprint(in.TimeoutInMillis, len(in.IntegrationResponses), len(m.RequestParameters), m.RequestValidatorID != ""))
		}
		sort.Strings(ms)
		out[p] = strings.Join(ms, ",")
	}
	return out
}

func TestExportRoundTrip(t *testing.T) {
	for _, tc := range []struct{ file, typ string }{
		{"petstore-oas3.yaml", "oas30"},
		{"petstore-oas3.yaml", "swagger"},
		{"orders-swagger2.json", "oas30"},
		{"orders-swagger2.json", "swagger"},
	} {
		t.Run(tc.file+"/"+tc.typ, func(t *testing.T) {
			e := newEnv(t)
			id := e.importDoc(t, tc.file)
			e.deploy(t, id, "prod")
			r := e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/stages/prod/exports/"+tc.typ+"?extensions=apigateway", nil)
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var doc map[string]any
			r.json(t, &doc)
			marker := "openapi"
			if tc.typ == "swagger" {
				marker = "swagger"
			}
			if _, ok := doc[marker]; !ok {
				t.Fatalf("export has no %q field: %s", marker, r.body)
			}
			back := e.must(t, http.StatusCreated, "POST", "/restapis?mode=import", r.body)
			var a restAPIView
			back.json(t, &a)
			if got, want := shape(t, e, a.ID), shape(t, e, id); !reflect.DeepEqual(got, want) {
				t.Errorf("re-imported export differs:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestExportVariants(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, id, "prod")
	r := e.must(t, http.StatusOK, "GET", "/restapis/"+id+"/stages/prod/exports/oas30", nil)
	if strings.Contains(string(r.body), "x-amazon-apigateway-integration") {
		t.Errorf("export without extensions=apigateway carries integrations")
	}
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	req := e.doYAML(t, "/restapis/"+id+"/stages/prod/exports/oas30?extensions=apigateway")
	if !strings.HasPrefix(req.header.Get("Content-Type"), "application/yaml") || !strings.Contains(string(req.body), "openapi: 3.0.1") {
		t.Errorf("yaml export = %q %s", req.header.Get("Content-Type"), req.body)
	}
	if r := e.do(t, "GET", "/restapis/"+id+"/stages/prod/exports/raml", nil); r.status != http.StatusBadRequest {
		t.Errorf("unknown export type = %d", r.status)
	}
	if r := e.do(t, "GET", "/restapis/"+id+"/stages/nostage/exports/oas30", nil); r.status != http.StatusNotFound {
		t.Errorf("unknown stage = %d", r.status)
	}
}
