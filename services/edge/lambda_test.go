package edge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/backend"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func TestLambdaFunctionName(t *testing.T) {
	tests := []struct{ uri, want string }{
		{"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:pets/invocations", "pets"},
		{"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:pets:live/invocations", "pets"},
		{"arn:aws:lambda:us-east-1:1:function:pets", "pets"},
		{"pets", "pets"},
	}
	for _, tc := range tests {
		if got := lambdaFunction(tc.uri); got != tc.want {
			t.Errorf("lambdaFunction(%q) = %q, want %q", tc.uri, got, tc.want)
		}
	}
}

func TestAWSProxyREST(t *testing.T) {
	h := newHarness(t)
	fns, err := backend.New(h.nc, backend.Config{Name: "fns"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fns.Stop() })
	got := make(chan events.APIGatewayProxyRequest, 8)
	// A handler written for Lambda, unchanged.
	handler := func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		got <- req
		switch req.QueryStringParameters["mode"] {
		case "error":
			return events.APIGatewayProxyResponse{}, errors.New("boom")
		case "binary":
			return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "image/png"},
				Body: base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G'}), IsBase64Encoded: true}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: 201,
			Headers:           map[string]string{"Content-Type": "text/plain", "X-Fn": "pets"},
			MultiValueHeaders: map[string][]string{"X-Multi": {"a", "b"}},
			Body:              "created " + req.PathParameters["id"]}, nil
	}
	if err := fns.HandleLambda("pets", handler); err != nil {
		t.Fatal(err)
	}
	// A function that answers garbage.
	sub, err := h.nc.Subscribe(wire.LambdaSubject("broken"), func(m *nats.Msg) { _ = m.Respond([]byte(`{"body":"no status"}`)) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })

	proxy := func(fn string) map[string]model.Method {
		return map[string]model.Method{"ANY": {HTTPMethod: "ANY", AuthorizationType: "NONE", OperationName: "op", APIKeyRequired: true,
			MethodIntegration: &model.Integration{Type: model.IntegrationAWSProxy, HTTPMethod: "POST",
				URI: fmtARN(fn)}}}
	}
	api := restAPI("lam1", resource("/pets/{id}", proxy("pets")), resource("/broken", proxy("broken")),
		resource("/missing", proxy("nobody")), resource("/byvar", proxy("${stageVariables.fn}")))
	api.BinaryMediaTypes = []string{"image/png"}
	h.deploy(api, "prod", map[string]string{"fn": "pets"})

	resp := h.do("POST", restPath("lam1", "prod", "/pets/42?mode=ok&mode=x&tag=a"), `{"name":"rex"}`,
		"Content-Type", "application/json", "X-Dup", "1", "X-Dup", "2")
	if resp.status != 201 || resp.body != "created 42" || resp.header.Get("X-Fn") != "pets" ||
		len(resp.header.Values("X-Multi")) != 2 || resp.header.Get("Content-Type") != "text/plain" {
		t.Errorf("POST /pets/42 = %d %q %v, want 201 created 42 with X-Fn and two X-Multi", resp.status, resp.body, resp.header)
	}
	ev := recv(t, got)
	checks := []struct {
		name      string
		got, want any
	}{
		{"resource", ev.Resource, "/pets/{id}"},
		{"path", ev.Path, "/pets/42"},
		{"httpMethod", ev.HTTPMethod, "POST"},
		{"pathParameters.id", ev.PathParameters["id"], "42"},
		{"queryStringParameters.mode", ev.QueryStringParameters["mode"], "x"},
		{"multiValueQueryStringParameters.mode", len(ev.MultiValueQueryStringParameters["mode"]), 2},
		{"multiValueHeaders.X-Dup", len(ev.MultiValueHeaders["X-Dup"]), 2},
		{"headers.Content-Type", ev.Headers["Content-Type"], "application/json"},
		{"stageVariables.fn", ev.StageVariables["fn"], "pets"},
		{"body", ev.Body, `{"name":"rex"}`},
		{"isBase64Encoded", ev.IsBase64Encoded, false},
		{"requestContext.stage", ev.RequestContext.Stage, "prod"},
		{"requestContext.path", ev.RequestContext.Path, "/prod/pets/42"},
		{"requestContext.resourcePath", ev.RequestContext.ResourcePath, "/pets/{id}"},
		{"requestContext.resourceId", ev.RequestContext.ResourceID, "r_pets_{id}"},
		{"requestContext.operationName", ev.RequestContext.OperationName, "op"},
		{"requestContext.apiId", ev.RequestContext.APIID, "lam1"},
		{"requestContext.requestId", ev.RequestContext.RequestID, resp.header.Get("x-amzn-RequestId")},
		{"requestContext.identity.sourceIp", ev.RequestContext.Identity.SourceIP, "127.0.0.1"},
		{"requestContext.authorizer.principalId", ev.RequestContext.Authorizer["principalId"], "user-1"},
		{"requestContext.authorizer.tenant", ev.RequestContext.Authorizer["tenant"], "t1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("event %s = %#v, want %#v", c.name, c.got, c.want)
		}
	}

	// API Gateway returns binary only to a client whose first Accept type is a binary media type
	resp = h.do("PUT", restPath("lam1", "prod", "/pets/1?mode=binary"), "\x89PNG\x00", "Content-Type", "image/png", "Accept", "image/png")
	ev = recv(t, got)
	if !ev.IsBase64Encoded || ev.Body != base64.StdEncoding.EncodeToString([]byte("\x89PNG\x00")) {
		t.Errorf("binary request event body = %q base64 %v, want base64 of the bytes", ev.Body, ev.IsBase64Encoded)
	}
	if resp.status != 200 || resp.body != "\x89PNG" || resp.header.Get("Content-Type") != "image/png" {
		t.Errorf("binary response = %d %q %q", resp.status, resp.body, resp.header.Get("Content-Type"))
	}

	resp = h.do("GET", restPath("lam1", "prod", "/pets/1?mode=error"), "")
	recv(t, got)
	expectResp(t, "function error", resp, 502, `{"message":"Internal server error"}`)
	expectResp(t, "malformed response", h.do("GET", restPath("lam1", "prod", "/broken"), ""), 502, `{"message":"Internal server error"}`)
	expectResp(t, "no function", h.do("GET", restPath("lam1", "prod", "/missing"), ""), 503, `{"message":"Service Unavailable"}`)
	expectResp(t, "function from a stage variable", h.do("GET", restPath("lam1", "prod", "/byvar"), ""), 201, "created ")
	recv(t, got)
}

func fmtARN(fn string) string {
	return "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:" + fn + "/invocations"
}

func TestAWSProxyHTTPAPI(t *testing.T) {
	h := newHarness(t)
	fns, err := backend.New(h.nc, backend.Config{Name: "fns2"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fns.Stop() })
	got := make(chan events.APIGatewayV2HTTPRequest, 8)
	v2 := func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got <- req
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain"},
			Cookies: []string{"a=1", "b=2"}, Body: "v2 " + req.PathParameters["id"]}, nil
	}
	if err := fns.HandleLambda("v2", v2); err != nil {
		t.Fatal(err)
	}
	// The 2.0 shortcut: a function answering plain JSON.
	if err := fns.HandleLambda("plain", func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (map[string]any, error) {
		return map[string]any{"ok": true}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := fns.HandleLambda("v1", func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 202, Body: req.Path + " " + req.RequestContext.Stage}, nil
	}); err != nil {
		t.Fatal(err)
	}
	sub, err := h.nc.Subscribe(wire.LambdaSubject("garbage"), func(m *nats.Msg) { _ = m.Respond([]byte(`not json`)) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })

	arn := func(fn string) string { return "arn:aws:lambda:us-east-1:000000000000:function:" + fn }
	api := model.RestAPI{ID: "lam2", Name: "lam2", Protocol: model.ProtocolHTTP, Routes: []model.Route{
		{ID: "1", RouteKey: "GET /items/{id}", Integration: &model.Integration{Type: model.IntegrationAWSProxy, URI: arn("v2")}},
		{ID: "2", RouteKey: "GET /plain", Integration: &model.Integration{Type: model.IntegrationAWSProxy, URI: arn("plain")}},
		{ID: "3", RouteKey: "GET /old", Integration: &model.Integration{Type: model.IntegrationAWSProxy, URI: arn("v1"), PayloadFormatVersion: "1.0"}},
		{ID: "4", RouteKey: "GET /garbage", Integration: &model.Integration{Type: model.IntegrationAWSProxy, URI: arn("garbage")}},
		{ID: "5", RouteKey: "POST /bin", Integration: &model.Integration{Type: model.IntegrationAWSProxy, URI: arn("v2")}},
	}}
	h.deploy(api, "v1", nil)

	resp := h.do("GET", "/v1/items/9?x=1&x=2", "", "Host", "lam2.execute-api.localhost", "Cookie", "s=1; t=2", "X-A", "1")
	if resp.status != 200 || resp.body != "v2 9" || len(resp.header.Values("Set-Cookie")) != 2 {
		t.Errorf("GET /items/9 = %d %q %v, want 200 v2 9 with two cookies", resp.status, resp.body, resp.header)
	}
	ev := recv(t, got)
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "GET /items/{id}"},
		{"rawPath", ev.RawPath, "/v1/items/9"},
		{"rawQueryString", ev.RawQueryString, "x=1&x=2"},
		{"queryStringParameters.x", ev.QueryStringParameters["x"], "1,2"},
		{"cookies", len(ev.Cookies), 2},
		{"headers.x-a", ev.Headers["x-a"], "1"},
		{"requestContext.stage", ev.RequestContext.Stage, "v1"},
		{"requestContext.http.method", ev.RequestContext.HTTP.Method, "GET"},
		{"requestContext.http.path", ev.RequestContext.HTTP.Path, "/v1/items/9"},
		{"requestContext.http.sourceIp", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"requestContext.domainName", ev.RequestContext.DomainName, "lam2.execute-api.localhost"},
		{"requestContext.domainPrefix", ev.RequestContext.DomainPrefix, "lam2"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("event %s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	resp = h.do("GET", "/v1/plain", "", "Host", "lam2.execute-api.localhost")
	if resp.status != 200 || resp.body != `{"ok":true}` || resp.header.Get("Content-Type") != "application/json" {
		t.Errorf("2.0 shortcut = %d %q %q, want 200 {\"ok\":true} application/json", resp.status, resp.body, resp.header.Get("Content-Type"))
	}
	expectResp(t, "payload 1.0 on an HTTP API", h.do("GET", "/v1/old", "", "Host", "lam2.execute-api.localhost"), 202, "/old v1")
	expectResp(t, "malformed (HTTP API)", h.do("GET", "/v1/garbage", "", "Host", "lam2.execute-api.localhost"), 500, `{"message":"Internal Server Error"}`)
	resp = h.do("POST", "/v1/bin", "\xff\x00", "Host", "lam2.execute-api.localhost", "Content-Type", "application/octet-stream")
	ev = recv(t, got)
	if !ev.IsBase64Encoded || ev.Body != "/wA=" {
		t.Errorf("binary body in 2.0 = %q base64 %v, want /wA= true", ev.Body, ev.IsBase64Encoded)
	}
	expectResp(t, "no route", h.do("GET", "/v1/nothing", "", "Host", "lam2.execute-api.localhost"), 404, `{"message":"Not Found"}`)
}

// recv takes the next event a function saw, failing the test after a deadline.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("no event reached the function")
	}
	var zero T
	return zero
}

// TestAWSProxyBinaryResponse: a REST API decodes a Lambda's base64 body only for a client that
// accepts one of the API's binary media types; other clients get the base64 text, as AWS.
func TestAWSProxyBinaryResponse(t *testing.T) {
	h := newHarness(t)
	png := []byte{0x89, 'P', 'N', 'G', 0, 1, 2}
	sub, err := h.nc.Subscribe("lambda.pngfn", func(m *nats.Msg) {
		b, _ := json.Marshal(map[string]any{"statusCode": 200, "isBase64Encoded": true,
			"headers": map[string]string{"Content-Type": "image/png"}, "body": base64.StdEncoding.EncodeToString(png)})
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	api := restAPI("binapi0001", resource("/img", map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationAWSProxy, HTTPMethod: "POST", URI: fmtARN("pngfn")}}}))
	api.BinaryMediaTypes = []string{"image/png"}
	h.deploy(api, "s", nil)
	if r := h.do("GET", restPath("binapi0001", "s", "/img"), "", "Accept", "image/png"); r.status != 200 || r.body != string(png) {
		t.Errorf("Accept image/png = %d %q, want the decoded bytes", r.status, r.body)
	}
	if r := h.do("GET", restPath("binapi0001", "s", "/img"), "", "Accept", "application/json"); r.status != 200 || r.body != base64.StdEncoding.EncodeToString(png) {
		t.Errorf("Accept application/json = %d %q, want the base64 text", r.status, r.body)
	}
}
