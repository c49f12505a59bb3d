package edge

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
)

func TestHTTPAPIMappingAndCORS(t *testing.T) {
	h := newHarness(t)
	type seen struct{ path, query, keep, added, gone, ctx string }
	calls := make(chan seen, 4)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls <- seen{r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Keep"), r.Header.Get("X-Added"), r.Header.Get("X-Gone"), r.Header.Get("X-Ctx")}
		w.Header().Set("X-Internal", "secret")
		w.Header().Set("Access-Control-Allow-Origin", "https://evil.example")
		w.WriteHeader(404)
		_, _ = w.Write([]byte("upstream"))
	}))
	t.Cleanup(up.Close)
	slow, err := h.nc.Subscribe("slow.v2", func(*nats.Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = slow.Unsubscribe() })
	maxAge := 300
	api := model.RestAPI{ID: "hapi", Name: "hapi", Protocol: model.ProtocolHTTP,
		CorsConfiguration: &model.Cors{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "POST"},
			AllowHeaders: []string{"authorization", "x-trace"}, ExposeHeaders: []string{"x-request-id"}, MaxAge: &maxAge, AllowCredentials: true},
		Routes: []model.Route{
			{ID: "1", RouteKey: "GET /things/{id}", Integration: &model.Integration{Type: model.IntegrationHTTPProxy, HTTPMethod: "GET", URI: up.URL + "/orig",
				RequestParameters: map[string]string{
					"overwrite:path":             "/v2/things/$request.path.id",
					"append:header.X-Added":      "from-${request.querystring.who}",
					"remove:header.X-Gone":       "''",
					"overwrite:header.X-Ctx":     "$context.requestId",
					"overwrite:querystring.mode": "fast",
					"remove:querystring.who":     "''",
				},
				ResponseParameters: map[string]map[string]string{"404": {
					"overwrite:statuscode": "200", "append:header.X-Mapped": "yes", "remove:header.X-Internal": "''"}},
			}},
			{ID: "2", RouteKey: "GET /slow", Integration: &model.Integration{Type: model.IntegrationNATSProxy, URI: "slow.v2", TimeoutInMillis: 50}},
		}}
	h.deploy(api, "v1", nil)
	host := "hapi.execute-api.localhost"

	resp := h.do("GET", "/v1/things/42?who=ann&x=1", "", "Host", host, "X-Keep", "k", "X-Gone", "g", "Origin", "https://app.example")
	if resp.status != 200 || resp.body != "upstream" || resp.header.Get("X-Mapped") != "yes" || resp.header.Get("X-Internal") != "" {
		t.Errorf("mapped response = %d %q %v, want 200 upstream, X-Mapped and no X-Internal", resp.status, resp.body, resp.header)
	}
	if got := resp.header.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Errorf("Access-Control-Allow-Origin = %q, want https://app.example (the configuration wins over the backend)", got)
	}
	if resp.header.Get("Access-Control-Allow-Credentials") != "true" || resp.header.Get("Access-Control-Expose-Headers") != "x-request-id" {
		t.Errorf("CORS headers = %v", resp.header)
	}
	c := recv(t, calls)
	want := seen{"/v2/things/42", "x=1&mode=fast", "k", "from-ann", "", resp.header.Get("x-amzn-RequestId")}
	if c != want {
		t.Errorf("upstream saw %+v, want %+v", c, want)
	}

	// Preflight, answered at the edge even without an OPTIONS route.
	resp = h.do("OPTIONS", "/v1/things/42", "", "Host", host, "Origin", "https://app.example",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-trace")
	if resp.status != 204 || resp.header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		resp.header.Get("Access-Control-Allow-Methods") != "GET,POST" || resp.header.Get("Access-Control-Allow-Headers") != "authorization,x-trace" ||
		resp.header.Get("Access-Control-Max-Age") != "300" {
		t.Errorf("preflight = %d %v", resp.status, resp.header)
	}
	resp = h.do("OPTIONS", "/v1/things/42", "", "Host", host, "Origin", "https://other.example", "Access-Control-Request-Method", "GET")
	if resp.status != 204 || resp.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from a foreign origin = %d %v, want 204 without CORS headers", resp.status, resp.header)
	}
	resp = h.do("GET", "/v1/nothing", "", "Host", host, "Origin", "https://app.example")
	expectResp(t, "miss", resp, 404, `{"message":"Not Found"}`)
	if resp.header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("404 has no CORS header: %v", resp.header)
	}
	expectResp(t, "HTTP API timeout", h.do("GET", "/v1/slow", "", "Host", host), 503, `{"message":"Service Unavailable"}`)
}

func TestHTTPAPIDefaultStage(t *testing.T) {
	h := newHarness(t)
	mock := func(body string) *model.Integration {
		return &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": body}}}}
	}
	api := model.RestAPI{ID: "dstage", Name: "dstage", Protocol: model.ProtocolHTTP, Routes: []model.Route{
		{ID: "1", RouteKey: "GET /items/{id}", Integration: mock(`{"stage":"$context.stage","path":"$context.resourcePath"}`)},
		{ID: "2", RouteKey: "$default", Integration: mock(`{"default":"$context.stage"}`)},
	}}
	h.deploy(api, "$default", nil)
	h.deploy(api, "prod", nil)
	host := "dstage.execute-api.localhost"
	expectResp(t, "$default stage", h.do("GET", "/items/9", "", "Host", host), 200, `{"stage":"$default","path":"/items/{id}"}`)
	expectResp(t, "$default stage at the root", h.do("GET", "/", "", "Host", host), 200, `{"default":"$default"}`)
	expectResp(t, "named stage", h.do("GET", "/prod/items/9", "", "Host", host), 200, `{"stage":"prod","path":"/items/{id}"}`)
	expectResp(t, "$default route", h.do("GET", "/other", "", "Host", host), 200, `{"default":"$default"}`)
}
