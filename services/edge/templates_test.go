package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func method(in *model.Integration) map[string]model.Method {
	return map[string]model.Method{"POST": {HTTPMethod: "POST", AuthorizationType: "NONE", MethodIntegration: in},
		"GET": {HTTPMethod: "GET", AuthorizationType: "NONE", MethodIntegration: in}}
}

func TestMockIntegration(t *testing.T) {
	h := newHarness(t)
	mock := &model.Integration{Type: model.IntegrationMock,
		RequestTemplates: map[string]string{"application/json": `#if($input.params('missing') == "yes"){"statusCode": 404}#else{"statusCode": 200}#end`},
		IntegrationResponses: map[string]model.IntegrationResponse{
			"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"id":"$context.requestId","stage":"$context.stage","env":"$stageVariables.env","path":"$context.resourcePath"}`},
				ResponseParameters: map[string]string{"method.response.header.X-Static": "'s1'", "method.response.header.X-Stage": "stageVariables.env"}},
			"404": {StatusCode: "404", SelectionPattern: "404", ResponseTemplates: map[string]string{"application/json": `{"message":"no such thing"}`}},
		}}
	override := &model.Integration{Type: model.IntegrationMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]model.IntegrationResponse{
			"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": "#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Over = \"yes\")teapot"}}}}
	never := &model.Integration{Type: model.IntegrationMock, PassthroughBehavior: "NEVER",
		RequestTemplates:     map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200"}}}
	noTemplates := &model.Integration{Type: model.IntegrationMock, PassthroughBehavior: "WHEN_NO_TEMPLATES",
		RequestTemplates:     map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200"}}}
	noResponse := &model.Integration{Type: model.IntegrationMock,
		RequestTemplates:     map[string]string{"application/json": `{"statusCode": 500}`},
		IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", SelectionPattern: "2\\d{2}"}}}
	api := restAPI("mock1", resource("/m", method(mock)), resource("/over", method(override)),
		resource("/never", method(never)), resource("/nt", method(noTemplates)), resource("/none", method(noResponse)))
	h.deploy(api, "test", map[string]string{"env": "staging"})

	resp := h.do("GET", restPath("mock1", "test", "/m"), "")
	want := `{"id":"` + resp.header.Get("x-amzn-RequestId") + `","stage":"test","env":"staging","path":"/m"}`
	expectResp(t, "mock 200", resp, 200, want)
	if resp.header.Get("X-Static") != "s1" || resp.header.Get("X-Stage") != "staging" {
		t.Errorf("mock response headers = %v, want X-Static s1 and X-Stage staging", resp.header)
	}
	expectResp(t, "mock 404 by selection pattern", h.do("GET", restPath("mock1", "test", "/m?missing=yes"), ""), 404, `{"message":"no such thing"}`)
	resp = h.do("GET", restPath("mock1", "test", "/over"), "")
	expectResp(t, "responseOverride", resp, 418, "teapot")
	if resp.header.Get("X-Over") != "yes" {
		t.Errorf("responseOverride header X-Over = %q, want yes", resp.header.Get("X-Over"))
	}
	expectResp(t, "NEVER with a matching template", h.do("POST", restPath("mock1", "test", "/never"), "{}", "Content-Type", "application/json"), 200, "")
	expectResp(t, "NEVER without a matching template", h.do("POST", restPath("mock1", "test", "/never"), "x", "Content-Type", "text/plain"),
		415, `{"message":"Unsupported Media Type"}`)
	expectResp(t, "WHEN_NO_TEMPLATES without a match", h.do("POST", restPath("mock1", "test", "/nt"), "x", "Content-Type", "text/plain"),
		415, `{"message":"Unsupported Media Type"}`)
	expectResp(t, "WHEN_NO_MATCH passes through", h.do("POST", restPath("mock1", "test", "/m"), "x", "Content-Type", "text/plain"), 200, "")
	expectResp(t, "no integration response", h.do("GET", restPath("mock1", "test", "/none"), ""), 500, `{"message":"Internal server error"}`)
}

func TestNATSIntegration(t *testing.T) {
	h := newHarness(t)
	seen := make(chan *nats.Msg, 4)
	sub, err := h.nc.Subscribe("orders.create", func(m *nats.Msg) {
		seen <- m
		if strings.Contains(string(m.Data), "fail") {
			r := nats.NewMsg(m.Reply)
			r.Header.Set(wire.HeaderServiceErrorCode, "400")
			r.Header.Set(wire.HeaderServiceError, "Validation: bad order")
			_ = m.RespondMsg(r)
			return
		}
		r := nats.NewMsg(m.Reply)
		r.Header.Set("X-Backend", "b1")
		r.Data = []byte(`{"orderId":"o-1","items":[{"sku":"a"},{"sku":"b"}]}`)
		_ = m.RespondMsg(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	in := &model.Integration{Type: model.IntegrationNATS, URI: "orders.${stageVariables.verb}",
		RequestParameters: map[string]string{"integration.request.header.X-Tenant": "method.request.header.X-Tenant",
			"integration.request.header.X-Const": "'c'", "integration.request.querystring.src": "method.request.querystring.from",
			"integration.request.header.X-Req": "context.requestId"},
		RequestTemplates: map[string]string{"application/json": `{"customer":$input.json('$.customer'),"n":$input.path('$.items').size(),"who":"$context.authorizer.principalId"}`},
		IntegrationResponses: map[string]model.IntegrationResponse{
			"200": {StatusCode: "201", ResponseTemplates: map[string]string{"application/json": `{"id":"$input.path('$.orderId')","skus":[#foreach($i in $input.path('$.items'))"$i.sku"#if($foreach.hasNext),#end#end]}`},
				ResponseParameters: map[string]string{"method.response.header.X-From-Backend": "integration.response.header.X-Backend"}},
			"400": {StatusCode: "400", SelectionPattern: "Validation:.*", ResponseTemplates: map[string]string{"application/json": `{"error":"invalid"}`}},
		}}
	h.deploy(restAPI("nats1", resource("/orders", method(in))), "prod", map[string]string{"verb": "create"})

	resp := h.do("POST", restPath("nats1", "prod", "/orders?from=web"), `{"customer":{"id":7},"items":[1,2,3]}`,
		"Content-Type", "application/json", "X-Tenant", "acme")
	expectResp(t, "NATS non-proxy", resp, 201, `{"id":"o-1","skus":["a","b"]}`)
	if resp.header.Get("X-From-Backend") != "b1" {
		t.Errorf("X-From-Backend = %q, want b1", resp.header.Get("X-From-Backend"))
	}
	m := recv(t, seen)
	if got := string(m.Data); got != `{"customer":{"id":7},"n":3,"who":""}` {
		t.Errorf("integration request body = %s", got)
	}
	for k, want := range map[string]string{"X-Tenant": "acme", "X-Const": "c", "X-Req": resp.header.Get("x-amzn-RequestId"),
		wire.HeaderQuery: "src=web", wire.HeaderStage: "prod"} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("integration request header %s = %q, want %q", k, got, want)
		}
	}
	expectResp(t, "NATS error by selection pattern", h.do("POST", restPath("nats1", "prod", "/orders"), `{"customer":"fail","items":[]}`,
		"Content-Type", "application/json"), 400, `{"error":"invalid"}`)
	recv(t, seen)
}

func TestHTTPIntegration(t *testing.T) {
	h := newHarness(t)
	type call struct {
		method, path, query, tenant, body string
	}
	calls := make(chan call, 4)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		calls <- call{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Tenant"), string(b)}
		if strings.HasSuffix(r.URL.Path, "/404") {
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"err":"nope"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Up", "u1")
		_, _ = w.Write([]byte(`{"name":"rex","age":3}`))
	}))
	t.Cleanup(backend.Close)
	in := &model.Integration{Type: model.IntegrationHTTP, HTTPMethod: "PUT", URI: "${stageVariables.base}/pets/{petId}",
		RequestParameters: map[string]string{"integration.request.path.petId": "method.request.path.id",
			"integration.request.header.X-Tenant": "'t9'", "integration.request.querystring.v": "method.request.querystring.version"},
		RequestTemplates: map[string]string{"application/json": `{"pet":"$util.escapeJavaScript($input.path('$.name'))"}`},
		IntegrationResponses: map[string]model.IntegrationResponse{
			"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `$input.path('$.name') is $input.path('$.age')`},
				ResponseParameters: map[string]string{"method.response.header.X-Up": "integration.response.header.X-Up"}},
			"404": {StatusCode: "404", SelectionPattern: "4\\d{2}"},
		}}
	h.deploy(restAPI("http1", resource("/p/{id}", method(in))), "dev", map[string]string{"base": backend.URL})

	resp := h.do("POST", restPath("http1", "dev", "/p/7?version=2"), `{"name":"Rex \"the dog\""}`, "Content-Type", "application/json")
	expectResp(t, "HTTP non-proxy", resp, 200, "rex is 3")
	if resp.header.Get("X-Up") != "u1" {
		t.Errorf("X-Up = %q, want u1", resp.header.Get("X-Up"))
	}
	c := recv(t, calls)
	if c != (call{"PUT", "/pets/7", "v=2", "t9", `{"pet":"Rex \"the dog\""}`}) {
		t.Errorf("backend call = %+v", c)
	}
	expectResp(t, "HTTP 4xx by selection pattern, body passed through", h.do("GET", restPath("http1", "dev", "/p/404"), ""), 404, `{"err":"nope"}`)
	recv(t, calls)
}

func TestContentHandling(t *testing.T) {
	h := newHarness(t)
	seen := make(chan string, 4)
	sub, err := h.nc.Subscribe("bin.echo", func(m *nats.Msg) {
		seen <- string(m.Data)
		_ = m.Respond(m.Data) // base64 text back
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	bad, err := h.nc.Subscribe("bin.bad", func(m *nats.Msg) { _ = m.Respond([]byte("not base64!")) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bad.Unsubscribe() })
	integ := func(subject string) *model.Integration {
		return &model.Integration{Type: model.IntegrationNATS, URI: subject, ContentHandling: "CONVERT_TO_TEXT",
			IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ContentHandling: "CONVERT_TO_BINARY"}}}
	}
	api := restAPI("bin1", resource("/echo", method(integ("bin.echo"))), resource("/bad", method(integ("bin.bad"))))
	api.BinaryMediaTypes = []string{"application/octet-stream"}
	h.deploy(api, "s", nil)

	payload := "\x00\x01\xfe\xff"
	resp := h.do("POST", restPath("bin1", "s", "/echo"), payload, "Content-Type", "application/octet-stream")
	if got := recv(t, seen); got != "AAH+/w==" {
		t.Errorf("integration saw %q, want the base64 text AAH+/w==", got)
	}
	expectResp(t, "binary round trip", resp, 200, payload)
	expectResp(t, "CONVERT_TO_BINARY of a non-base64 answer", h.do("POST", restPath("bin1", "s", "/bad"), "x", "Content-Type", "text/plain"),
		500, `{"message":"Internal server error"}`)
}
