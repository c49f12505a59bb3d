package edge

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// AWS parity of the Lambda proxy event (payload format 1.0) a REST API sends, against the
// events AWS recorded in LocalStack's AWS-validated snapshots
// (tests/aws/services/apigateway/test_apigateway_lambda.snapshot.json,
// test_lambda_aws_proxy_integration): which members are present, which are null, the
// multi-value forms and the members of requestContext and identity.

// rawEvents subscribes a function that records each event as raw JSON and answers 200 "ok".
func rawEvents(t *testing.T, nc *nats.Conn, fn string) <-chan map[string]any {
	t.Helper()
	got := make(chan map[string]any, 16)
	sub, err := nc.Subscribe(wire.LambdaSubject(fn), func(m *nats.Msg) {
		var ev map[string]any
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Errorf("event is not a JSON object: %v: %s", err, m.Data)
		}
		got <- ev
		_ = m.Respond([]byte(`{"statusCode":200,"body":"ok"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return got
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// member reads a dotted path in a decoded event; ok is false when a member is missing.
func member(ev map[string]any, path string) (any, bool) {
	var cur any = ev
	for _, p := range strings.Split(path, ".") {
		m, isMap := cur.(map[string]any)
		if !isMap {
			return nil, false
		}
		v, found := m[p]
		if !found {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

// expectMembers checks members of an event by dotted path (nil: present and null).
func expectMembers(t *testing.T, ev map[string]any, want map[string]any) {
	t.Helper()
	for path, w := range want {
		if got, ok := member(ev, path); !ok || !reflect.DeepEqual(got, w) {
			t.Errorf("event %s = %#v (present %v), want %#v", path, got, ok, w)
		}
	}
}

// The members AWS writes in every format 1.0 event of a method without an authorizer.
var (
	awsEventV1Members = []string{"body", "headers", "httpMethod", "isBase64Encoded", "multiValueHeaders",
		"multiValueQueryStringParameters", "path", "pathParameters", "queryStringParameters", "requestContext",
		"resource", "stageVariables"}
	awsContextV1Members = []string{"accountId", "apiId", "deploymentId", "domainName", "domainPrefix",
		"extendedRequestId", "httpMethod", "identity", "path", "protocol", "requestId", "requestTime",
		"requestTimeEpoch", "resourceId", "resourcePath", "stage"}
	awsIdentityV1Members = []string{"accessKey", "accountId", "caller", "cognitoAuthenticationProvider",
		"cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId", "sourceIp",
		"user", "userAgent", "userArn"}
)

func TestAWSParityLambdaProxyEventV1(t *testing.T) {
	h := newHarness(t)
	events := rawEvents(t, h.nc, "parityfn")
	proxy := map[string]model.Method{"ANY": {HTTPMethod: "ANY", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationAWSProxy, HTTPMethod: "POST", URI: fmtARN("parityfn")}}}
	api := restAPI("parity01", resource("/{proxy+}", proxy), resource("/hardcoded", proxy))
	h.deploy(api, "stage", nil)

	tests := []struct {
		name   string
		method string
		path   string // below the stage
		body   string
		hdr    []string
		want   map[string]any // member path -> value (nil: present and null)
		absent []string       // member paths that must not be there
	}{
		{name: "without trailing slash", method: "GET", path: "/proxy-value", hdr: []string{"User-Agent", "python-requests/testing"},
			want: map[string]any{"body": nil, "isBase64Encoded": false, "httpMethod": "GET", "path": "/proxy-value",
				"resource": "/{proxy+}", "pathParameters": map[string]any{"proxy": "proxy-value"},
				"queryStringParameters": nil, "multiValueQueryStringParameters": nil, "stageVariables": nil,
				"requestContext.path": "/stage/proxy-value", "requestContext.resourcePath": "/{proxy+}",
				"requestContext.stage": "stage", "requestContext.httpMethod": "GET", "requestContext.protocol": "HTTP/1.1",
				"requestContext.accountId": accountID, "requestContext.apiId": "parity01",
				"requestContext.identity.userAgent": "python-requests/testing", "requestContext.identity.sourceIp": "127.0.0.1",
				"requestContext.identity.accessKey": nil, "requestContext.identity.user": nil, "requestContext.identity.userArn": nil,
				"headers.User-Agent": "python-requests/testing", "multiValueHeaders.User-Agent": []any{"python-requests/testing"},
				"headers.X-Forwarded-For": "127.0.0.1", "multiValueHeaders.X-Forwarded-For": []any{"127.0.0.1"},
				"headers.X-Forwarded-Proto": "http"}},
		{name: "behind a proxy", method: "GET", path: "/proxy-value", hdr: []string{"X-Forwarded-For", "203.0.113.7"},
			want: map[string]any{"headers.X-Forwarded-For": "203.0.113.7, 127.0.0.1"}},
		{name: "headers API Gateway leaves out", method: "GET", path: "/proxy-value",
			hdr:  []string{"Content-MD5", "Q2hlY2sgSW50ZWdyaXR5IQ==", "Max-Forwards", "3", "Server", "client", "Trailer", "x", "X-Kept", "yes"},
			want: map[string]any{"headers.X-Kept": "yes"}, absent: []string{"headers.Content-Md5", "headers.Max-Forwards", "headers.Server", "headers.Trailer"}},
		{name: "with trailing slash", method: "GET", path: "/proxy-value/",
			want: map[string]any{"path": "/proxy-value/", "pathParameters": map[string]any{"proxy": "proxy-value"},
				"requestContext.path": "/stage/proxy-value/"}},
		{name: "with double slash", method: "GET", path: "/proxy-value//double-slash",
			want: map[string]any{"path": "/proxy-value//double-slash", "pathParameters": map[string]any{"proxy": "proxy-value//double-slash"},
				"requestContext.path": "/stage/proxy-value//double-slash"}},
		{name: "query string encoding", method: "GET",
			path: "/proxy-value/api?whitespace=foo%20bar&zhash=abort/&email=test%2Balias@gmail.com&plus=test+alias@gmail.com&url=https://www.google.com/&dateTimeOffset=2023-06-12T18:05:10.123456+00:00",
			want: map[string]any{"queryStringParameters": map[string]any{"whitespace": "foo bar", "zhash": "abort/",
				"email": "test+alias@gmail.com", "plus": "test alias@gmail.com", "url": "https://www.google.com/",
				"dateTimeOffset": "2023-06-12T18:05:10.123456 00:00"},
				"multiValueQueryStringParameters.plus": []any{"test alias@gmail.com"},
				"pathParameters":                       map[string]any{"proxy": "proxy-value/api"}}},
		{name: "repeated query parameters and a JSON body", method: "POST",
			path: "/proxy-value?category=electronics&category=books&price=10&price=20&price=30",
			body: `{"message": "hello world"}`, hdr: []string{"Content-Type", "application/json;charset=utf-8"},
			want: map[string]any{"body": `{"message": "hello world"}`, "isBase64Encoded": false, "httpMethod": "POST",
				"queryStringParameters":           map[string]any{"category": "books", "price": "30"},
				"multiValueQueryStringParameters": map[string]any{"category": []any{"electronics", "books"}, "price": []any{"10", "20", "30"}},
				"headers.Content-Type":            "application/json;charset=utf-8",
				"multiValueHeaders.Content-Type":  []any{"application/json;charset=utf-8"},
				"requestContext.httpMethod":       "POST"}},
		{name: "resource without parameters", method: "GET", path: "/hardcoded",
			want: map[string]any{"pathParameters": nil, "resource": "/hardcoded", "requestContext.resourcePath": "/hardcoded",
				"path": "/hardcoded"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do(tc.method, restPath("parity01", "stage", tc.path), tc.body, tc.hdr...)
			expectResp(t, tc.name, resp, 200, "ok")
			ev := recv(t, events)
			if got := sortedMapKeys(ev); !slices.Equal(got, awsEventV1Members) {
				t.Errorf("event members = %v, want %v", got, awsEventV1Members)
			}
			rc, _ := ev["requestContext"].(map[string]any)
			if got := sortedMapKeys(rc); !slices.Equal(got, awsContextV1Members) {
				t.Errorf("requestContext members = %v, want %v", got, awsContextV1Members)
			}
			id, _ := rc["identity"].(map[string]any)
			if got := sortedMapKeys(id); !slices.Equal(got, awsIdentityV1Members) {
				t.Errorf("requestContext.identity members = %v, want %v", got, awsIdentityV1Members)
			}
			if rc["requestId"] != resp.header.Get("x-amzn-RequestId") || rc["deploymentId"] == "" || rc["resourceId"] == "" {
				t.Errorf("requestContext requestId %v deploymentId %v resourceId %v, want the response's request id and ids",
					rc["requestId"], rc["deploymentId"], rc["resourceId"])
			}
			if _, isNumber := rc["requestTimeEpoch"].(float64); !isNumber {
				t.Errorf("requestContext.requestTimeEpoch = %#v, want a number", rc["requestTimeEpoch"])
			}
			expectMembers(t, ev, tc.want)
			for _, p := range tc.absent {
				if v, ok := member(ev, p); ok {
					t.Errorf("%s = %v, want it left out", p, v)
				}
			}
		})
	}
}

// TestAWSParityLambdaProxyNonPOST: Lambda is invoked with POST; an AWS_PROXY integration
// whose integration method is anything else answers 500 {"message": "Internal server error"}
// (test_lambda_aws_proxy_integration_non_post_method).
func TestAWSParityLambdaProxyNonPOST(t *testing.T) {
	h := newHarness(t)
	events := rawEvents(t, h.nc, "getfn")
	api := restAPI("parity02", resource("/{proxy+}", map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationAWSProxy, HTTPMethod: "GET", URI: fmtARN("getfn")}}}))
	h.deploy(api, "stage", nil)
	resp := h.do("GET", restPath("parity02", "stage", "/proxy-value"), "")
	expectResp(t, "AWS_PROXY with integration method GET", resp, 500, `{"message":"Internal server error"}`)
	if got := resp.header.Get("x-amzn-ErrorType"); got != "InternalServerErrorException" {
		t.Errorf("x-amzn-ErrorType = %q, want InternalServerErrorException", got)
	}
	select {
	case ev := <-events:
		t.Errorf("the function was invoked: %v", ev)
	default:
	}
}

// TestAWSParityLambdaProxyEventV2: the payload format 2.0 event of an HTTP API, as AWS
// documents it ("Working with AWS Lambda proxy integrations for HTTP APIs"): members with
// nothing to carry (body, cookies, queryStringParameters, pathParameters, stageVariables,
// requestContext.authentication and .authorizer) are absent, isBase64Encoded is always written.
func TestAWSParityLambdaProxyEventV2(t *testing.T) {
	h := newHarness(t)
	events := rawEvents(t, h.nc, "parityv2")
	arn := "arn:aws:lambda:us-east-1:000000000000:function:parityv2"
	api := model.RestAPI{ID: "parity03", Name: "parity03", Protocol: model.ProtocolHTTP, Routes: []model.Route{
		{ID: "1", RouteKey: "GET /items/{id}", Integration: &model.Integration{Type: model.IntegrationAWSProxy, URI: arn}},
		{ID: "2", RouteKey: "GET /plain", Integration: &model.Integration{Type: model.IntegrationAWSProxy, URI: arn}},
	}}
	h.deploy(api, "$default", nil)
	host := "parity03.execute-api.localhost"

	expectResp(t, "GET /plain", h.do("GET", "/plain", "", "Host", host), 200, "ok")
	ev := recv(t, events)
	wantMembers := []string{"headers", "isBase64Encoded", "rawPath", "rawQueryString", "requestContext", "routeKey", "version"}
	if got := sortedMapKeys(ev); !slices.Equal(got, wantMembers) {
		t.Errorf("event members = %v, want %v", got, wantMembers)
	}
	rc, _ := ev["requestContext"].(map[string]any)
	wantContext := []string{"accountId", "apiId", "domainName", "domainPrefix", "http", "requestId", "routeKey", "stage", "time", "timeEpoch"}
	if got := sortedMapKeys(rc); !slices.Equal(got, wantContext) {
		t.Errorf("requestContext members = %v, want %v", got, wantContext)
	}
	expectMembers(t, ev, map[string]any{"version": "2.0", "routeKey": "GET /plain", "rawPath": "/plain", "rawQueryString": "",
		"isBase64Encoded": false, "requestContext.stage": "$default", "requestContext.domainPrefix": "parity03",
		"requestContext.http.method": "GET", "requestContext.http.path": "/plain", "requestContext.http.protocol": "HTTP/1.1"})

	expectResp(t, "GET /items/7", h.do("GET", "/items/7?a=1&a=2", "", "Host", host, "Cookie", "c=1"), 200, "ok")
	ev = recv(t, events)
	expectMembers(t, ev, map[string]any{"pathParameters": map[string]any{"id": "7"}, "rawQueryString": "a=1&a=2",
		"queryStringParameters": map[string]any{"a": "1,2"}, "cookies": []any{"c=1"}})
}

// TestAWSParityLambdaMalformedResponse: a REST API answers a function error or a response it
// cannot map with 502 {"message": "Internal server error"} and x-amzn-ErrorType
// InternalServerErrorException ("Malformed Lambda proxy response").
func TestAWSParityLambdaMalformedResponse(t *testing.T) {
	h := newHarness(t)
	answers := map[string]string{
		"nostatus":     `{"body":"no status"}`,
		"objectbody":   `{"statusCode":200,"body":{"a":1}}`,
		"objectheader": `{"statusCode":200,"headers":{"X-A":{"b":1}},"body":"x"}`,
		"notjson":      `not json`,
		"badstatus":    `{"statusCode":"abc","body":"x"}`,
	}
	api := restAPI("parity04")
	for fn, answer := range answers {
		sub, err := h.nc.Subscribe(wire.LambdaSubject(fn), func(m *nats.Msg) { _ = m.Respond([]byte(answer)) })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
		api.Resources = append(api.Resources, resource("/"+fn, map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
			MethodIntegration: &model.Integration{Type: model.IntegrationAWSProxy, HTTPMethod: "POST", URI: fmtARN(fn)}}}))
	}
	h.deploy(api, "s", nil)
	for fn := range answers {
		t.Run(fn, func(t *testing.T) {
			resp := h.do("GET", restPath("parity04", "s", "/"+fn), "")
			expectResp(t, fn, resp, 502, `{"message":"Internal server error"}`)
			if got := resp.header.Get("x-amzn-ErrorType"); got != "InternalServerErrorException" {
				t.Errorf("x-amzn-ErrorType = %q, want InternalServerErrorException", got)
			}
			if got := resp.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
		})
	}
}

// TestAWSParityLambdaProxyIgnoresRequestParameters: an AWS_PROXY integration does not apply
// its requestParameters; the event carries the request as sent
// (test_lambda_aws_proxy_integration_request_data_mapping).
func TestAWSParityLambdaProxyIgnoresRequestParameters(t *testing.T) {
	h := newHarness(t)
	events := rawEvents(t, h.nc, "mapfn")
	reqParams := map[string]string{
		"integration.request.header.headerVar":        "method.request.header.foobar",
		"integration.request.path.qsVar":              "method.request.querystring.testVar",
		"integration.request.path.pathVar":            "method.request.path.pathVariable",
		"integration.request.querystring.queryString": "method.request.querystring.testQueryString",
		"integration.request.querystring.testQs":      "method.request.querystring.testQueryString",
		"integration.request.querystring.testEmptyQs": "method.request.header.emptyheader",
	}
	methodParams := map[string]bool{}
	for _, v := range reqParams {
		methodParams[v] = true
	}
	api := restAPI("parity05", resource("/{pathVariable}", map[string]model.Method{"ANY": {HTTPMethod: "ANY", AuthorizationType: "NONE",
		RequestParameters: methodParams,
		MethodIntegration: &model.Integration{Type: model.IntegrationAWSProxy, HTTPMethod: "POST", URI: fmtARN("mapfn"), RequestParameters: reqParams}}}))
	h.deploy(api, "test", nil)
	resp := h.do("POST", restPath("parity05", "test", "/foobar?testQueryString=foo&testVar=bar"), `{"message": "hello world"}`,
		"Content-Type", "application/json", "Accept", "application/json", "foobar", "mapped-value", "headerVar", "request-value")
	expectResp(t, "POST /foobar", resp, 200, "ok")
	ev := recv(t, events)
	expectMembers(t, ev, map[string]any{
		"queryStringParameters":           map[string]any{"testQueryString": "foo", "testVar": "bar"},
		"multiValueQueryStringParameters": map[string]any{"testQueryString": []any{"foo"}, "testVar": []any{"bar"}},
		"pathParameters":                  map[string]any{"pathVariable": "foobar"},
		"path":                            "/foobar", "resource": "/{pathVariable}", "requestContext.path": "/test/foobar",
		"body": `{"message": "hello world"}`, "isBase64Encoded": false,
	})
	headers, _ := ev["headers"].(map[string]any)
	for name, want := range map[string]string{"headerVar": "request-value", "foobar": "mapped-value"} {
		var got any
		for k, v := range headers {
			if strings.EqualFold(k, name) {
				got = v
			}
		}
		if got != want {
			t.Errorf("event header %s = %#v, want %q (the request's, unmapped)", name, got, want)
		}
	}
}
