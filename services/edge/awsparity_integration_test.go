package edge

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// AWS parity of REST integration requests and responses, against LocalStack's AWS-validated
// recording tests/aws/services/apigateway/test_apigateway_integrations.snapshot.json
// (TestApiGatewayHeaderRemapping): which headers reach the backend, mapped or not, which
// mapped method response headers come back as x-amzn-Remapped-*, and the 500 a request
// parameter setting a restricted header answers.

// remapClientHeaders is what the recorded client sends (less Connection, Expect and
// Transfer-Encoding, which Go's HTTP client will not send as given).
var remapClientHeaders = []string{"Accept", "application/json", "Accept-Charset", "UTF-8", "Accept-Encoding", "br",
	"Age", "request_Age", "Authorization", "Unauthorized", "Content-Encoding", "deflate", "Content-MD5", "request_Content-MD5",
	"Content-Type", "application/json", "Max-Forwards", "2", "Pragma", "cache", "Proxy-Authenticate", "Basic",
	"Range", "bytes=500-999", "Referer", "https://example.com/", "Server", "https://example.com/", "TE", "deflate",
	"Upgrade", "HTTP/2.0", "User-Agent", "localStack/0.0", "Via", "p.example.net", "Warn", "299 localStack/0.0",
	"WWW-Authenticate", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}

// remapRequestParams maps every header the recording maps (Host aside).
var remapRequestParams = map[string]string{
	"integration.request.header.Accept":             "'text/html'",
	"integration.request.header.Accept-Charset":     "'UTF-16'",
	"integration.request.header.Accept-Encoding":    "'zstd'",
	"integration.request.header.Age":                "'request_params_age'",
	"integration.request.header.Authorization":      "'request_params_authorization'",
	"integration.request.header.Content-Encoding":   "'compress'",
	"integration.request.header.Content-MD5":        "'request_params_Content-MD5'",
	"integration.request.header.Content-Type":       "'application/json'",
	"integration.request.header.Expect":             "'200-ok'",
	"integration.request.header.Max-Forwards":       "'2'",
	"integration.request.header.Pragma":             "'no-cache'",
	"integration.request.header.Range":              "'bytes=0-499'",
	"integration.request.header.Referer":            "'https://example.com/page'",
	"integration.request.header.Server":             "'https://example.com/page'",
	"integration.request.header.Upgrade":            "'HTTP/2.0'",
	"integration.request.header.User-Agent":         "'Override-Agent'",
	"integration.request.header.Warn":               `'110 anderson/1.3.37 "Response is stale"'`,
	"integration.request.header.WWW-Authenticate":   "'Basic YWxhZGRpbjpvcGVuc2VzYW1l'",
	"integration.request.header.Connection":         "'keep-alive'",
	"integration.request.header.Proxy-Authenticate": `'Basic realm="Access to the internal site"'`,
	"integration.request.header.TE":                 "'gzip'",
	"integration.request.header.Via":                "'othersite.net'",
}

// remapResponseHeaders are the method response headers the recording maps to
// 'response_param_{name}'.
var remapResponseHeaders = []string{"Accept", "Accept-Charset", "Accept-Encoding", "Age", "Authorization", "Connection",
	"Content-Encoding", "Content-Length", "Content-MD5", "Content-Type", "Date", "Expect", "Host", "Max-Forwards", "Pragma",
	"Proxy-Authenticate", "Range", "Referer", "Server", "TE", "Transfer-Encoding", "Upgrade", "User-Agent", "Via", "Warn",
	"WWW-Authenticate"}

// remapAPI deploys the recording's API: /no-param, /full and one resource per special case.
func remapAPI(h *harness, id, typ, uri string, special map[string]string) {
	h.t.Helper()
	get := func(params map[string]string, full bool) map[string]model.Method {
		in := &model.Integration{Type: typ, HTTPMethod: "POST", URI: uri, RequestParameters: params}
		if typ != model.IntegrationHTTPProxy && typ != model.IntegrationAWSProxy {
			ir := model.IntegrationResponse{StatusCode: "200"}
			if full {
				ir.ResponseParameters = map[string]string{}
				for _, name := range remapResponseHeaders {
					ir.ResponseParameters["method.response.header."+name] = "'response_param_" + name + "'"
				}
			}
			in.IntegrationResponses = map[string]model.IntegrationResponse{"200": ir}
		}
		return map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE", MethodIntegration: in}}
	}
	res := []model.Resource{resource("/no-param", get(nil, false)), resource("/full", get(remapRequestParams, true))}
	for path, param := range special {
		res = append(res, resource("/"+path, get(map[string]string{param: "'x'"}, false)))
	}
	h.deploy(restAPI(id, res...), "test", nil)
}

func expectInternalError(t *testing.T, what string, resp response) {
	t.Helper()
	expectResp(t, what, resp, 500, `{"message":"Internal server error"}`)
	expectHeaders(t, what, resp.header, map[string]string{"x-amzn-ErrorType": "InternalServerErrorException",
		"Content-Type": "application/json"})
}

// TestAWSParityHeaderRemappingHTTP: test_apigateway_header_remapping_http[HTTP|HTTP_PROXY].
func TestAWSParityHeaderRemappingHTTP(t *testing.T) {
	h := newHarness(t)
	url, last := echoBackend(t)
	special := map[string]string{"content-length": "integration.request.header.Content-Length",
		"transfer-encoding": "integration.request.header.Transfer-Encoding"}
	remapAPI(h, "parityr1", model.IntegrationHTTP, url+"/post", special)
	remapAPI(h, "parityr2", model.IntegrationHTTPProxy, url+"/post", special)

	// the mapped headers reach the backend, the dropped ones never do (both types)
	mapped := map[string]string{"Accept": "text/html", "Accept-Charset": "UTF-16", "Accept-Encoding": "zstd",
		"Age": "request_params_age", "Authorization": "request_params_authorization", "Content-Encoding": "compress",
		"Content-Md5": "request_params_Content-MD5", "Content-Type": "application/json", "Max-Forwards": "2",
		"Pragma": "no-cache", "Range": "bytes=0-499", "Referer": "https://example.com/page", "Server": "https://example.com/page",
		"Upgrade": "HTTP/2.0", "User-Agent": "Override-Agent", "Warn": `110 anderson/1.3.37 "Response is stale"`,
		"Www-Authenticate": "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Proxy-Authenticate": "", "Te": "", "Via": "", "Expect": ""}
	tests := []struct {
		name    string
		api     string
		backend map[string]string // "" means absent
	}{
		{"HTTP no-param", "parityr1", map[string]string{"Accept": "application/json", "User-Agent": "AmazonAPIGateway_parityr1",
			"X-Amzn-Apigateway-Api-Id": "parityr1", "Age": "", "Authorization": "", "Content-Type": "", "Pragma": "", "Referer": "",
			"Warn": "", "Accept-Charset": ""}},
		{"HTTP_PROXY no-param", "parityr2", map[string]string{"Accept": "application/json", "Accept-Charset": "UTF-8",
			"Accept-Encoding": "br", "Age": "request_Age", "Authorization": "Unauthorized", "Content-Type": "application/json",
			"Pragma": "cache", "Range": "bytes=500-999", "Referer": "https://example.com/", "User-Agent": "localStack/0.0",
			"Warn": "299 localStack/0.0", "X-Amzn-Apigateway-Api-Id": "parityr2", "Content-Encoding": "", "Content-Md5": "",
			"Max-Forwards": "", "Proxy-Authenticate": "", "Server": "", "Te": "", "Upgrade": "", "Via": "", "Www-Authenticate": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do("GET", restPath(tc.api, "test", "/no-param"), "", remapClientHeaders...)
			expectResp(t, tc.name, resp, 200, "")
			expectHeaders(t, "backend", last().header, tc.backend)
		})
		t.Run(strings.Replace(tc.name, "no-param", "full", 1), func(t *testing.T) {
			resp := h.do("GET", restPath(tc.api, "test", "/full"), "", remapClientHeaders...)
			expectResp(t, "full", resp, 200, "")
			want := maps.Clone(mapped)
			want["X-Amzn-Apigateway-Api-Id"] = tc.api
			expectHeaders(t, "backend", last().header, want)
		})
		for path := range special {
			t.Run(tc.name[:strings.Index(tc.name, " ")]+" "+path, func(t *testing.T) {
				expectInternalError(t, path, h.do("GET", restPath(tc.api, "test", "/"+path), "", remapClientHeaders...))
			})
		}
	}

	// HTTP: the mapped method response headers, remapped or passed as AWS recorded them
	resp := h.do("GET", restPath("parityr1", "test", "/full"), "", remapClientHeaders...)
	want := map[string]string{"Transfer-Encoding": "", "x-amzn-Remapped-Transfer-Encoding": ""}
	for _, name := range []string{"Accept", "Accept-Charset", "Accept-Encoding", "Age", "Content-Encoding", "Content-Type",
		"Pragma", "Range", "Referer", "TE", "Via", "Warn"} {
		want[name] = "response_param_" + name
	}
	for _, name := range []string{"Authorization", "Connection", "Content-Length", "Content-MD5", "Date", "Expect", "Host",
		"Max-Forwards", "Proxy-Authenticate", "Server", "Trailer", "Upgrade", "User-Agent", "WWW-Authenticate"} {
		if name != "Trailer" { // not mapped here: the recording maps it from the method request
			want["x-amzn-Remapped-"+name] = "response_param_" + name
		}
	}
	want["Authorization"], want["User-Agent"], want["WWW-Authenticate"], want["Expect"] = "", "", "", ""
	expectHeaders(t, "HTTP full response", resp.header, want)
}

// TestAWSParityRestrictedParamsAWS: test_apigateway_header_remapping_aws[AWS] — an AWS
// (Lambda) integration whose request parameter sets Content-Length, Transfer-Encoding,
// Authorization, Connection, Expect, Proxy-Authenticate or TE answers 500; AWS_PROXY ignores
// its request parameters.
func TestAWSParityRestrictedParamsAWS(t *testing.T) {
	h := newHarness(t)
	_ = rawEvents(t, h.nc, "remapfn")
	special := map[string]string{}
	for _, name := range []string{"Content-Length", "Transfer-Encoding", "Authorization", "Connection", "Expect",
		"Proxy-Authenticate", "TE"} {
		special[strings.ToLower(name)] = "integration.request.header." + name
	}
	remapAPI(h, "paritya1", model.IntegrationAWS, fmtARN("remapfn"), special)
	remapAPI(h, "paritya2", model.IntegrationAWSProxy, fmtARN("remapfn"), special)
	expectResp(t, "AWS no-param", h.do("GET", restPath("paritya1", "test", "/no-param"), ""), 200, "")
	for path := range special {
		t.Run(path, func(t *testing.T) {
			expectInternalError(t, "AWS "+path, h.do("GET", restPath("paritya1", "test", "/"+path), ""))
			expectResp(t, "AWS_PROXY "+path, h.do("GET", restPath("paritya2", "test", "/"+path), ""), 200, "ok")
		})
	}
}

// keyAuthz allows every request with an API key id, as the authorizer answers for a valid key.
type keyAuthz struct{ allowAll }

func (keyAuthz) Check(context.Context, *wire.AuthzRequest) (wire.AuthzDecision, error) {
	return wire.AuthzDecision{Allow: true, APIKeyID: "kid-1"}, nil
}

// TestAWSParityDomainPrefixAndAPIKey: requestContext.domainPrefix is the API id for a
// path-style request or an IP Host (AWS's execute-api host starts with it) and the first
// label otherwise; identity.apiKey and apiKeyId are filled when the method required a key.
func TestAWSParityDomainPrefixAndAPIKey(t *testing.T) {
	h := newHarnessWith(t, keyAuthz{})
	events := rawEvents(t, h.nc, "prefixfn")
	proxy := func(keyRequired bool) map[string]model.Method {
		return map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE", APIKeyRequired: keyRequired,
			MethodIntegration: &model.Integration{Type: model.IntegrationAWSProxy, HTTPMethod: "POST", URI: fmtARN("prefixfn")}}}
	}
	mock := map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE", MethodIntegration: &model.Integration{
		Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200",
			ResponseTemplates: map[string]string{"application/json": `$context.domainPrefix`}}}}}}
	h.deploy(restAPI("parityd1", resource("/open", proxy(false)), resource("/keyed", proxy(true)), resource("/mock", mock)), "test", nil)

	tests := []struct {
		name string
		path string
		hdr  []string
		want map[string]any
		gone []string
	}{
		{"path-style", restPath("parityd1", "test", "/open"), nil,
			map[string]any{"requestContext.domainPrefix": "parityd1"}, []string{"requestContext.identity.apiKey", "requestContext.identity.apiKeyId"}},
		{"execute-api host", "/test/open", []string{"Host", "parityd1.execute-api.localhost"},
			map[string]any{"requestContext.domainPrefix": "parityd1", "requestContext.domainName": "parityd1.execute-api.localhost"}, nil},
		{"API key required", restPath("parityd1", "test", "/keyed"), []string{"x-api-key", "secret-key"},
			map[string]any{"requestContext.identity.apiKey": "secret-key", "requestContext.identity.apiKeyId": "kid-1"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectResp(t, tc.name, h.do("GET", tc.path, "", tc.hdr...), 200, "ok")
			ev := recv(t, events)
			expectMembers(t, ev, tc.want)
			for _, p := range tc.gone {
				if v, ok := member(ev, p); ok {
					t.Errorf("event %s = %#v, want no such member", p, v)
				}
			}
		})
	}
	expectResp(t, "$context.domainPrefix path-style", h.do("GET", restPath("parityd1", "test", "/mock"), ""), 200, "parityd1")
	expectResp(t, "$context.domainPrefix custom host", h.do("GET", "/test/mock", "", "Host", "parityd1.execute-api.localhost"), 200, "parityd1")
}
