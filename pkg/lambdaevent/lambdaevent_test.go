package lambdaevent

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func sample() *Request {
	return &Request{
		Method: "POST", Path: "/pets/7", Resource: "/pets/{id}", RouteKey: "POST /pets/{id}",
		Stage: "prod", APIID: "abc123", AccountID: "000000000000", ResourceID: "res1",
		RequestID: "req-1", SourceIP: "10.0.0.1", UserAgent: "curl/8", Protocol: "HTTP/1.1",
		DomainName: "abc123.execute-api.localhost",
		Headers: []Header{{"Content-Type", "application/json"}, {"X-Multi", "a"}, {"X-Multi", "b"},
			{"Cookie", "s=1; t=2"}},
		RawQuery:    "q=1&q=2&name=J%C3%BCrgen&flag",
		PathParams:  map[string]string{"id": "7"},
		StageVars:   map[string]string{"env": "test"},
		Body:        []byte(`{"a":1}`),
		PrincipalID: "user-1", AuthContext: map[string]string{"tenant": "t1"},
		Time: time.Date(2026, 4, 9, 12, 34, 56, 0, time.UTC),
	}
}

func TestEventV1(t *testing.T) {
	b, err := Marshal(V1, sample())
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"resource", e.Resource, "/pets/{id}"},
		{"path", e.Path, "/pets/7"},
		{"httpMethod", e.HTTPMethod, "POST"},
		{"headers[X-Multi]", e.Headers["X-Multi"], "b"},
		{"multiValueHeaders[X-Multi]", e.MultiValueHeaders["X-Multi"], []string{"a", "b"}},
		{"queryStringParameters[q]", e.QueryStringParameters["q"], "2"},
		{"queryStringParameters[name]", e.QueryStringParameters["name"], "Jürgen"},
		{"queryStringParameters[flag]", e.QueryStringParameters["flag"], ""},
		{"multiValueQueryStringParameters[q]", e.MultiValueQueryStringParameters["q"], []string{"1", "2"}},
		{"pathParameters", e.PathParameters, map[string]string{"id": "7"}},
		{"stageVariables", e.StageVariables, map[string]string{"env": "test"}},
		{"body", e.Body, `{"a":1}`},
		{"isBase64Encoded", e.IsBase64Encoded, false},
		{"requestContext.path", e.RequestContext.Path, "/prod/pets/7"},
		{"requestContext.resourcePath", e.RequestContext.ResourcePath, "/pets/{id}"},
		{"requestContext.resourceId", e.RequestContext.ResourceID, "res1"},
		{"requestContext.stage", e.RequestContext.Stage, "prod"},
		{"requestContext.requestId", e.RequestContext.RequestID, "req-1"},
		{"requestContext.apiId", e.RequestContext.APIID, "abc123"},
		{"requestContext.accountId", e.RequestContext.AccountID, "000000000000"},
		{"requestContext.httpMethod", e.RequestContext.HTTPMethod, "POST"},
		{"requestContext.protocol", e.RequestContext.Protocol, "HTTP/1.1"},
		{"requestContext.domainName", e.RequestContext.DomainName, "abc123.execute-api.localhost"},
		{"requestContext.domainPrefix", e.RequestContext.DomainPrefix, "abc123"},
		{"requestContext.identity.sourceIp", e.RequestContext.Identity.SourceIP, "10.0.0.1"},
		{"requestContext.identity.userAgent", e.RequestContext.Identity.UserAgent, "curl/8"},
		{"requestContext.requestTime", e.RequestContext.RequestTime, "09/Apr/2026:12:34:56 +0000"},
		{"requestContext.requestTimeEpoch", e.RequestContext.RequestTimeEpoch, int64(1775738096000)},
		{"requestContext.authorizer.principalId", e.RequestContext.Authorizer["principalId"], "user-1"},
		{"requestContext.authorizer.tenant", e.RequestContext.Authorizer["tenant"], "t1"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	// Absent parts are null, as AWS sends them.
	empty, _ := Marshal(V1, &Request{Method: "GET", Path: "/", Resource: "/", Stage: "s"})
	var raw map[string]any
	_ = json.Unmarshal(empty, &raw)
	for _, k := range []string{"headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "stageVariables"} {
		if v, ok := raw[k]; !ok || v != nil {
			t.Errorf("empty event %s = %v (present %v), want null", k, v, ok)
		}
	}
}

func TestEventV2(t *testing.T) {
	b, err := Marshal(V2, sample())
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", e.Version, "2.0"},
		{"routeKey", e.RouteKey, "POST /pets/{id}"},
		{"rawPath", e.RawPath, "/prod/pets/7"},
		{"rawQueryString", e.RawQueryString, "q=1&q=2&name=J%C3%BCrgen&flag"},
		{"cookies", e.Cookies, []string{"s=1", "t=2"}},
		{"headers[x-multi]", e.Headers["x-multi"], "a,b"},
		{"headers[content-type]", e.Headers["content-type"], "application/json"},
		{"headers has no cookie", e.Headers["cookie"], ""},
		{"queryStringParameters[q]", e.QueryStringParameters["q"], "1,2"},
		{"pathParameters", e.PathParameters, map[string]string{"id": "7"}},
		{"stageVariables", e.StageVariables, map[string]string{"env": "test"}},
		{"body", e.Body, `{"a":1}`},
		{"requestContext.routeKey", e.RequestContext.RouteKey, "POST /pets/{id}"},
		{"requestContext.stage", e.RequestContext.Stage, "prod"},
		{"requestContext.http.method", e.RequestContext.HTTP.Method, "POST"},
		{"requestContext.http.path", e.RequestContext.HTTP.Path, "/prod/pets/7"},
		{"requestContext.http.sourceIp", e.RequestContext.HTTP.SourceIP, "10.0.0.1"},
		{"requestContext.http.userAgent", e.RequestContext.HTTP.UserAgent, "curl/8"},
		{"requestContext.http.protocol", e.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{"requestContext.time", e.RequestContext.Time, "09/Apr/2026:12:34:56 +0000"},
		{"requestContext.timeEpoch", e.RequestContext.TimeEpoch, int64(1775738096000)},
		{"requestContext.authorizer.lambda.tenant", e.RequestContext.Authorizer.Lambda["tenant"], "t1"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	r := sample()
	r.Stage = "$default"
	e2 := EventV2(r)
	if e2.RawPath != "/pets/7" {
		t.Errorf("$default stage rawPath = %q, want /pets/7", e2.RawPath)
	}
	r.Binary, r.Body = true, []byte{0xff, 0x00, 0x01}
	e2 = EventV2(r)
	if !e2.IsBase64Encoded || e2.Body != "/wAB" {
		t.Errorf("binary body = %q base64 %v, want /wAB true", e2.Body, e2.IsBase64Encoded)
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name    string
		version string
		in      string
		status  int
		headers []Header
		cookies []string
		body    string
		malform bool
	}{
		{name: "v1 full", version: V1, in: `{"statusCode":201,"headers":{"X-A":"1","X-B":"b"},"multiValueHeaders":{"X-B":["b1","b2"]},"body":"hi"}`,
			status: 201, headers: []Header{{"X-B", "b1"}, {"X-B", "b2"}, {"X-A", "1"}}, body: "hi"},
		{name: "v1 base64", version: V1, in: `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, status: 200, body: "hi"},
		{name: "v1 string status", version: V1, in: `{"statusCode":"404","body":""}`, status: 404},
		{name: "v1 number header", version: V1, in: `{"statusCode":200,"headers":{"X-N":5}}`, status: 200, headers: []Header{{"X-N", "5"}}},
		{name: "v1 no status", version: V1, in: `{"body":"x"}`, malform: true},
		{name: "v1 not object", version: V1, in: `"hello"`, malform: true},
		{name: "v1 body object", version: V1, in: `{"statusCode":200,"body":{"a":1}}`, malform: true},
		{name: "v1 not json", version: V1, in: `nope`, malform: true},
		{name: "v1 bad status", version: V1, in: `{"statusCode":99}`, malform: true},
		{name: "v1 bad base64", version: V1, in: `{"statusCode":200,"body":"@@","isBase64Encoded":true}`, malform: true},
		{name: "v1 header object", version: V1, in: `{"statusCode":200,"headers":{"X":{"a":1}}}`, malform: true},
		{name: "v2 structured", version: V2, in: `{"statusCode":302,"headers":{"Location":"/x"},"cookies":["a=1","b=2"]}`,
			status: 302, headers: []Header{{"Location", "/x"}}, cookies: []string{"a=1", "b=2"}},
		{name: "v2 shortcut object", version: V2, in: `{"hello":"world"}`, status: 200,
			headers: []Header{{"Content-Type", "application/json"}}, body: `{"hello":"world"}`},
		{name: "v2 shortcut string", version: V2, in: `"hi"`, status: 200,
			headers: []Header{{"Content-Type", "application/json"}}, body: `hi`},
		{name: "v2 not json", version: V2, in: `{`, malform: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseResponse(tc.version, []byte(tc.in))
			if tc.malform {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("ParseResponse(%q) error = %v, want ErrMalformed", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseResponse(%q): %v", tc.in, err)
			}
			if got.Status != tc.status || string(got.Body) != tc.body || !reflect.DeepEqual(got.Headers, tc.headers) ||
				!reflect.DeepEqual(got.Cookies, tc.cookies) {
				t.Errorf("ParseResponse(%q) = %d %v %v %q, want %d %v %v %q", tc.in, got.Status, got.Headers, got.Cookies, got.Body,
					tc.status, tc.headers, tc.cookies, tc.body)
			}
		})
	}
}

func TestMediaTypes(t *testing.T) {
	tests := []struct {
		ct    string
		types []string
		want  bool
	}{
		{"image/png", []string{"image/png"}, true},
		{"image/png; q=1", []string{"image/*"}, true},
		{"application/json", []string{"image/*"}, false},
		{"application/json", []string{"*/*"}, true},
		{"application/json", nil, false},
	}
	for _, tc := range tests {
		if got := MatchMediaType(tc.ct, tc.types); got != tc.want {
			t.Errorf("MatchMediaType(%q, %v) = %v, want %v", tc.ct, tc.types, got, tc.want)
		}
	}
	text := []struct {
		ct   string
		body []byte
		want bool
	}{
		{"application/json", nil, true},
		{"text/plain; charset=utf-8", nil, true},
		{"application/vnd.api+json", nil, true},
		{"application/octet-stream", []byte("x"), false},
		{"", []byte{0xff}, false},
		{"", []byte("plain"), true},
	}
	for _, tc := range text {
		if got := IsText(tc.ct, tc.body); got != tc.want {
			t.Errorf("IsText(%q, %q) = %v, want %v", tc.ct, tc.body, got, tc.want)
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{`{"statusCode":200,"body":"x"}`, `{"statusCode":"500","headers":{"a":1},"multiValueHeaders":{"b":["c"]}}`,
		`"x"`, `[1,2]`, `{"statusCode":200,"isBase64Encoded":true,"body":"aGk="}`, `{`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []string{V1, V2} {
			r, err := ParseResponse(v, []byte(s))
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("ParseResponse(%q) error %v is not ErrMalformed", s, err)
				}
				continue
			}
			if r.Status < 100 || r.Status > 599 {
				t.Fatalf("ParseResponse(%q) status %d", s, r.Status)
			}
		}
	})
}

func FuzzEvent(f *testing.F) {
	f.Add("/a/b", "x=1&x=2&y=%zz", "Cookie", "a=1; b")
	f.Fuzz(func(t *testing.T, path, query, hname, hvalue string) {
		r := &Request{Method: "GET", Path: path, RawQuery: query, Headers: []Header{{hname, hvalue}}, Stage: "s"}
		for _, v := range []string{V1, V2} {
			b, err := Marshal(v, r)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !json.Valid(b) {
				t.Fatalf("Marshal produced invalid JSON: %s", b)
			}
		}
	})
}
