package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/services/admin/internal/oasexport"
)

const httpAPIDoc = `openapi: 3.0.1
info: {title: shop, version: "1"}
paths:
  /items:
    get:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: shop.items.list, payloadFormatVersion: "2.0"}
  /items/{id}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: ANY, uri: "http://backend.example/items/{id}", payloadFormatVersion: "1.0"}
  /$default:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: shop.fallback}
`

func routeSet(t *testing.T, e *env, apiID string) string {
	t.Helper()
	a, _ := e.restAPI(t, apiID)
	return routeKeys(a)
}

func TestV2ImportExportReimport(t *testing.T) {
	e := newEnv(t)
	var api v2APIView
	e.must(t, http.StatusCreated, "PUT", "/v2/apis", map[string]any{"body": httpAPIDoc}).json(t, &api)
	if api.Name != "shop" || api.ProtocolType != "HTTP" {
		t.Fatalf("import-api = %+v", api)
	}
	want := "$default->shop.fallback,ANY /items/{id}->http://backend.example/items/{id},GET /items->shop.items.list"
	if got := routeSet(t, e, api.APIID); got != want {
		t.Fatalf("imported routes = %s, want %s", got, want)
	}
	var routes v2Items[v2RouteView]
	e.must(t, http.StatusOK, "GET", "/v2/apis/"+api.APIID+"/routes", nil).json(t, &routes)
	for _, r := range routes.Items {
		if !strings.HasPrefix(r.Target, "integrations/") {
			t.Errorf("route %s has target %q", r.RouteKey, r.Target)
		}
	}

	// Export, then import the export: the same routes and integrations.
	r := e.must(t, http.StatusOK, "GET", "/v2/apis/"+api.APIID+"/exports/OAS30?outputType=JSON&includeExtensions=true", nil)
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, r.body)
	}
	paths, _ := doc["paths"].(map[string]any)
	if _, ok := paths["/$default"]; !ok || len(paths) != 3 {
		t.Errorf("exported paths = %v", paths)
	}
	var again v2APIView
	e.must(t, http.StatusCreated, "PUT", "/v2/apis", map[string]any{"body": string(r.body)}).json(t, &again)
	if got := routeSet(t, e, again.APIID); got != want {
		t.Errorf("re-imported export routes = %s, want %s", got, want)
	}
	yml := e.must(t, http.StatusOK, "GET", "/v2/apis/"+api.APIID+"/exports/OAS30?outputType=YAML", nil)
	if !strings.Contains(string(yml.body), "openapi: 3.0") || yml.header.Get("Content-Type") != "application/yaml" {
		t.Errorf("YAML export = %s %s", yml.header.Get("Content-Type"), yml.body)
	}

	// Reimport replaces the routes; an auto-deploy stage follows.
	e.must(t, http.StatusCreated, "POST", "/v2/apis/"+api.APIID+"/stages", map[string]any{"stageName": "$default", "autoDeploy": true})
	before := e.stage(t, api.APIID, "$default").DeploymentID
	e.must(t, http.StatusCreated, "PUT", "/v2/apis/"+api.APIID, map[string]any{"body": `openapi: 3.0.1
info: {title: shop, version: "2"}
paths:
  /orders:
    post:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: shop.orders.create}
`})
	if got := routeSet(t, e, api.APIID); got != "POST /orders->shop.orders.create" {
		t.Errorf("routes after reimport = %s", got)
	}
	after := e.stage(t, api.APIID, "$default").DeploymentID
	if after == before || routeKeys(e.deployment(t, api.APIID, after).API) != "POST /orders->shop.orders.create" {
		t.Errorf("auto-deploy after reimport: %s -> %s", before, after)
	}
	r = e.must(t, http.StatusOK, "GET", "/v2/apis/"+api.APIID+"/exports/OAS30?outputType=JSON&stageName=$default", nil)
	if !strings.Contains(string(r.body), "/orders") {
		t.Errorf("stage export = %s", r.body)
	}

	// Bad input stores nothing.
	keys := strings.Join(e.keys(t), ",")
	for _, bad := range []any{
		map[string]any{},
		map[string]any{"body": "openapi: 3.0.1\ninfo: {title: x, version: '1'}\npaths: {}\n"},
		map[string]any{"body": "{not yaml"},
		"{",
	} {
		if r := e.do(t, "PUT", "/v2/apis", bad); r.status != http.StatusBadRequest {
			t.Errorf("import-api %v = %d %s, want 400", bad, r.status, r.body)
		}
	}
	if r := e.do(t, "GET", "/v2/apis/"+api.APIID+"/exports/OAS30?outputType=XML", nil); r.status != http.StatusBadRequest {
		t.Errorf("export XML = %d", r.status)
	}
	if got := strings.Join(e.keys(t), ","); got != keys {
		t.Errorf("keys changed after failed imports")
	}
}

// FuzzHTTPAPIFromDoc: a document either converts to valid routes whose targets resolve (and
// exports again) or is refused with a 400; it never panics.
func FuzzHTTPAPIFromDoc(f *testing.F) {
	f.Add(httpAPIDoc)
	f.Add(`{"openapi":"3.0.1","info":{"title":"x","version":"1"},"paths":{"/a/{b+}":{"get":{}}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		a, err := httpAPIFromDoc([]byte(doc))
		if err != nil {
			if ae, ok := err.(*apiError); !ok || ae.Status != http.StatusBadRequest {
				t.Fatalf("error %v, want a 400", err)
			}
			return
		}
		for _, rt := range a.Routes {
			if !validRouteKey(a.Protocol, rt.RouteKey) {
				t.Errorf("route key %q is not valid", rt.RouteKey)
			}
			if id, ok := a.V2RouteTargets[rt.ID]; ok {
				if _, err := findV2Integration(a, id); err != nil || rt.Integration == nil {
					t.Errorf("route %s targets %s which does not resolve", rt.RouteKey, id)
				}
			}
		}
		if _, err := oasexport.Export(restTreeOf(&a.RestAPI), "", oasexport.TypeOAS30, true); err != nil {
			t.Errorf("export of an imported API: %v", err)
		}
	})
}
