package edge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico/portico/pkg/backend"
	"github.com/portico/portico/pkg/model"
)

// TestRemappedHeaders: a REST API sends some integration response headers as
// x-amzn-Remapped-{name} (HTTP_PROXY and Lambda proxy); an HTTP API passes them.
func TestRemappedHeaders(t *testing.T) {
	h := newHarness(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", "Basic")
		w.Header().Set("X-Amzn-RequestId", "backend-id")
		w.Header().Set("X-Plain", "p")
		_, _ = w.Write([]byte("up"))
	}))
	t.Cleanup(up.Close)
	fns, err := backend.New(h.nc, backend.Config{Name: "remap"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fns.Stop() })
	if err := fns.HandleLambda("remap", func(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Authorization": "Bearer x", "X-Plain": "p"}, Body: "fn"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	get := func(in *model.Integration) map[string]model.Method {
		return map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE", MethodIntegration: in}}
	}
	h.deploy(restAPI("remap1",
		resource("/http", get(&model.Integration{Type: model.IntegrationHTTPProxy, HTTPMethod: "GET", URI: up.URL})),
		resource("/fn", get(&model.Integration{Type: model.IntegrationAWSProxy, URI: fmtARN("remap")}))), "s", nil)
	h.deploy(model.RestAPI{ID: "remap2", Name: "remap2", Protocol: model.ProtocolHTTP, Routes: []model.Route{
		{ID: "1", RouteKey: "GET /http", Integration: &model.Integration{Type: model.IntegrationHTTPProxy, HTTPMethod: "GET", URI: up.URL}}}}, "s", nil)

	resp := h.do("GET", restPath("remap1", "s", "/http"), "")
	if resp.body != "up" || resp.header.Get("WWW-Authenticate") != "" || resp.header.Get("x-amzn-Remapped-WWW-Authenticate") != "Basic" ||
		resp.header.Get("x-amzn-Remapped-X-Amzn-RequestId") != "backend-id" || resp.header.Get("X-Plain") != "p" ||
		resp.header.Get("x-amzn-RequestId") == "backend-id" {
		t.Errorf("REST HTTP_PROXY headers = %v", resp.header)
	}
	resp = h.do("GET", restPath("remap1", "s", "/fn"), "")
	if resp.body != "fn" || resp.header.Get("Authorization") != "" || resp.header.Get("x-amzn-Remapped-Authorization") != "Bearer x" {
		t.Errorf("REST Lambda proxy headers = %v", resp.header)
	}
	resp = h.do("GET", "/s/http", "", "Host", "remap2.execute-api.localhost")
	if resp.header.Get("WWW-Authenticate") != "Basic" {
		t.Errorf("HTTP API HTTP_PROXY headers = %v, want WWW-Authenticate passed through", resp.header)
	}
}
