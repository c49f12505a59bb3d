package edge

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/pkg/model"
)

// AWS parity of REST HTTP and HTTP_PROXY integrations, against LocalStack's AWS-validated
// recordings (tests/aws/services/apigateway/test_apigateway_http.snapshot.json): the headers
// the backend receives, the query string and path it is called with, the response headers
// and the status passed through.

// echoed is what the echo backend received.
type echoed struct {
	method string
	path   string
	query  map[string][]string
	header http.Header
	body   string
}

// echoBackend records every request and answers 200 with a JSON body, or the status its
// last path segment names under /status/.
func echoBackend(t *testing.T) (url string, last func() echoed) {
	t.Helper()
	var mu sync.Mutex
	var got echoed
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = echoed{method: r.Method, path: r.URL.Path, query: r.URL.Query(), header: r.Header.Clone(), body: string(b)}
		mu.Unlock()
		status := 200
		if rest, ok := strings.CutPrefix(r.URL.Path, "/status/"); ok {
			if n, err := strconv.Atoi(rest); err == nil {
				status = n
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Server", "gunicorn/19.9.0")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(status)
		out, _ := json.Marshal(map[string]any{"message": "", "status_code": status})
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() echoed {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

func httpIntegration(typ, method, uri string, params map[string]string) *model.Integration {
	in := &model.Integration{Type: typ, HTTPMethod: method, URI: uri, RequestParameters: params}
	if typ == model.IntegrationHTTP {
		in.IntegrationResponses = map[string]model.IntegrationResponse{"200": {StatusCode: "200"}}
	}
	return in
}

// expectHeaders checks headers by name; "" means absent.
func expectHeaders(t *testing.T, what string, h http.Header, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got := h.Get(k); got != w {
			t.Errorf("%s header %s = %q, want %q", what, k, got, w)
		}
	}
}

// TestAWSParityHTTPIntegrationHeaders: test_http_integration_with_lambda[HTTP|HTTP_PROXY]. HTTP
// sends none of the client's headers: Accept application/json, User-Agent
// AmazonAPIGateway_{api}, x-amzn-apigateway-api-id; HTTP_PROXY forwards the client's and adds
// x-amzn-apigateway-api-id; its response's Content-Length, Date and Server come back as
// x-amzn-Remapped-*.
func TestAWSParityHTTPIntegrationHeaders(t *testing.T) {
	h := newHarness(t)
	url, last := echoBackend(t)
	post := func(typ string) map[string]model.Method {
		return map[string]model.Method{"POST": {HTTPMethod: "POST", AuthorizationType: "NONE",
			MethodIntegration: httpIntegration(typ, "POST", url+"/", nil)}}
	}
	h.deploy(restAPI("parityh1", resource("/http", post(model.IntegrationHTTP)), resource("/proxy", post(model.IntegrationHTTPProxy))), "test", nil)
	hdr := []string{"Content-Type", "application/json", "Accept", "application/xml", "User-Agent", "test/integration"}
	body := `{"message": "hello world"}`

	tests := []struct {
		name     string
		path     string
		backend  map[string]string
		response map[string]string
	}{
		{"HTTP", "/http",
			map[string]string{"Accept": "application/json", "User-Agent": "AmazonAPIGateway_parityh1", "Content-Type": "application/json",
				"X-Amzn-Apigateway-Api-Id": "parityh1", "Content-Length": "26"},
			map[string]string{"Content-Type": "application/json", "x-amzn-Remapped-Date": "", "x-amzn-Remapped-Server": "",
				"Access-Control-Allow-Origin": ""}},
		{"HTTP_PROXY", "/proxy",
			map[string]string{"Accept": "application/xml", "User-Agent": "test/integration", "Content-Type": "application/json",
				"X-Amzn-Apigateway-Api-Id": "parityh1", "Content-Length": "26"},
			map[string]string{"Content-Type": "application/json", "x-amzn-Remapped-Server": "gunicorn/19.9.0",
				"x-amzn-Remapped-Content-Length": "32", "Access-Control-Allow-Origin": "*"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do("POST", restPath("parityh1", "test", tc.path), body, hdr...)
			expectResp(t, tc.name, resp, 200, `{"message":"","status_code":200}`)
			got := last()
			if got.method != "POST" || got.path != "/" || got.body != body {
				t.Errorf("backend got %s %s %q, want POST / %q", got.method, got.path, got.body, body)
			}
			expectHeaders(t, "backend", got.header, tc.backend)
			expectHeaders(t, "response", resp.header, tc.response)
			if resp.header.Get("x-amzn-RequestId") == "" {
				t.Error("response has no x-amzn-RequestId")
			}
			if tc.name == "HTTP_PROXY" && resp.header.Get("x-amzn-Remapped-Date") == "" {
				t.Errorf("response headers %v: want the backend's Date as x-amzn-Remapped-Date", resp.header)
			}
		})
	}
}

// TestAWSParityHTTPIntegrationMethod: test_http_integration_method — an ANY method calls the
// backend with the integration's method (POST) whatever the client's.
func TestAWSParityHTTPIntegrationMethod(t *testing.T) {
	h := newHarness(t)
	url, last := echoBackend(t)
	for _, typ := range []string{model.IntegrationHTTP, model.IntegrationHTTPProxy} {
		api := "paritym" + strings.ToLower(strings.ReplaceAll(typ, "_", ""))
		h.deploy(restAPI(api, resource("/test", map[string]model.Method{"ANY": {HTTPMethod: "ANY", AuthorizationType: "NONE",
			MethodIntegration: httpIntegration(typ, "POST", url+"/", nil)}})), "test", nil)
		for _, verb := range []string{"POST", "PUT", "GET"} {
			t.Run(typ+" "+verb, func(t *testing.T) {
				resp := h.do(verb, restPath(api, "test", "/test"), `{"message": "hello world"}`, "Content-Type", "application/json")
				expectResp(t, verb, resp, 200, "")
				if got := last(); got.method != "POST" || got.body != `{"message": "hello world"}` {
					t.Errorf("backend got %s %q, want POST with the body", got.method, got.body)
				}
			})
		}
	}
}

// TestAWSParityHTTPStatusPassthrough: test_http_integration_invoke_status_code_passthrough —
// HTTP_PROXY answers the backend's status; HTTP answers its default integration response's
// (200) when no selection pattern matches, with the backend's body.
func TestAWSParityHTTPStatusPassthrough(t *testing.T) {
	h := newHarness(t)
	url, _ := echoBackend(t)
	params := map[string]string{"integration.request.path.map": "method.request.path.map"}
	method := func(typ string) map[string]model.Method {
		return map[string]model.Method{"POST": {HTTPMethod: "POST", AuthorizationType: "NONE",
			MethodIntegration: httpIntegration(typ, "POST", url+"/{map}", params)}}
	}
	h.deploy(restAPI("paritys1", resource("/http/{map+}", method(model.IntegrationHTTP)),
		resource("/proxy/{map+}", method(model.IntegrationHTTPProxy))), "test", nil)
	tests := []struct {
		name   string
		path   string
		status int
		body   string
	}{
		{"HTTP matching", "/http/status/200", 200, `{"message":"","status_code":200}`},
		{"HTTP non-matching", "/http/status/400", 200, `{"message":"","status_code":400}`},
		{"HTTP_PROXY matching", "/proxy/status/200", 200, `{"message":"","status_code":200}`},
		{"HTTP_PROXY non-matching", "/proxy/status/400", 400, `{"message":"","status_code":400}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectResp(t, tc.name, h.do("POST", restPath("paritys1", "test", tc.path), ""), tc.status, tc.body)
		})
	}
}

// TestAWSParityHTTPProxyRequestMapping: test_http_proxy_integration_request_data_mappings — a
// REST HTTP_PROXY integration's request parameters apply: a mapped header replaces the
// client's, mapped path parameters fill the URI (its query string too), the client's query
// string follows the URI's and mapped query parameters follow it; an unresolved mapping sends
// nothing.
func TestAWSParityHTTPProxyRequestMapping(t *testing.T) {
	h := newHarness(t)
	url, last := echoBackend(t)
	params := map[string]string{
		"integration.request.header.headerVar":        "method.request.header.foobar",
		"integration.request.path.qsVar":              "method.request.querystring.testVar",
		"integration.request.path.pathVar":            "method.request.path.pathVariable",
		"integration.request.querystring.queryString": "method.request.querystring.testQueryString",
		"integration.request.querystring.testQs":      "method.request.querystring.testQueryString",
		"integration.request.querystring.testEmptyQs": "method.request.header.emptyheader",
	}
	h.deploy(restAPI("parityp1", resource("/{pathVariable}", map[string]model.Method{"POST": {HTTPMethod: "POST", AuthorizationType: "NONE",
		MethodIntegration: httpIntegration(model.IntegrationHTTPProxy, "POST", url+"/?testVar={pathVar}&testQs={qsVar}", params)}})), "test", nil)
	resp := h.do("POST", restPath("parityp1", "test", "/foobar?testQueryString=foo&testVar=bar"), `{"message": "hello world"}`,
		"Content-Type", "application/json", "Accept", "application/json", "foobar", "mapped-value", "User-Agent", "test/integration",
		"headerVar", "request-value")
	expectResp(t, "POST /foobar", resp, 200, "")
	got := last()
	want := map[string][]string{"queryString": {"foo"}, "testQs": {"bar", "foo"}, "testQueryString": {"foo"}, "testVar": {"foobar", "bar"}}
	if len(got.query) != len(want) {
		t.Errorf("backend query = %v, want %v", got.query, want)
	}
	for k, w := range want {
		if strings.Join(got.query[k], ",") != strings.Join(w, ",") {
			t.Errorf("backend query %s = %v, want %v", k, got.query[k], w)
		}
	}
	if v := got.header.Values("Headervar"); len(v) != 1 || v[0] != "mapped-value" {
		t.Errorf("backend headerVar = %v, want [mapped-value]", v)
	}
	expectHeaders(t, "backend", got.header, map[string]string{"Foobar": "mapped-value", "User-Agent": "test/integration",
		"Accept": "application/json"})
}
