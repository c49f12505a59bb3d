package authz_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/portico/portico/pkg/authzclient"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/authz"
)

const arnBase = "arn:aws:execute-api:us-east-1:123456789012:api/prod/"

// fn is an authorizer function on the bus: a nats.go micro service that records every event
// it receives and answers with answer(event).
type fn struct {
	calls  atomic.Int64
	mu     sync.Mutex
	events [][]byte
}

func (f *fn) last(t *testing.T, v any) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		t.Fatal("the function was never called")
	}
	if err := json.Unmarshal(f.events[len(f.events)-1], v); err != nil {
		t.Fatalf("event %s: %v", f.events[len(f.events)-1], err)
	}
}

// startFn serves subject with answer; answer returns the reply body, or an error description
// for a micro error.
func startFn(t *testing.T, e *env, subject string, answer func(data []byte) (body []byte, errDesc string)) *fn {
	t.Helper()
	f := &fn{}
	nc := natstest.Connect(t, e.srv)
	svc, err := micro.AddService(nc, micro.Config{
		Name:    "authorizer",
		Version: "1.0.0",
		Endpoint: &micro.EndpointConfig{
			Subject: subject,
			Handler: micro.HandlerFunc(func(r micro.Request) {
				f.calls.Add(1)
				f.mu.Lock()
				f.events = append(f.events, append([]byte(nil), r.Data()...))
				f.mu.Unlock()
				body, desc := answer(r.Data())
				if desc != "" {
					_ = r.Error("401", desc, nil)
					return
				}
				_ = r.Respond(body)
			}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	// the server must hold the subscription before authz sends the first request
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return f
}

func policyAnswer(principal, effect string, resources []string, ctx map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"principalId": principal,
		"policyDocument": map[string]any{
			"Version":   "2012-10-17",
			"Statement": []any{map[string]any{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resources}},
		},
		"context":            ctx,
		"usageIdentifierKey": "usage-" + principal,
	})
	return b
}

// tokenFn answers by token, as a typical TOKEN authorizer does.
func tokenFn(data []byte) ([]byte, string) {
	var ev events.APIGatewayCustomAuthorizerRequest
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, "bad event"
	}
	switch ev.AuthorizationToken {
	case "Bearer allow-get":
		return policyAnswer("alice", "Allow", []string{arnBase + "GET/*"}, map[string]any{"tier": "gold", "n": 42, "ok": true}), ""
	case "Bearer allow-bob":
		return policyAnswer("bob", "Allow", []string{"*"}, nil), ""
	case "Bearer deny":
		return policyAnswer("mallory", "Deny", []string{arnBase + "*"}, nil), ""
	case "Bearer unauthorized":
		return nil, "Unauthorized"
	case "Bearer lambda-unauthorized":
		return []byte(`{"errorMessage":"Unauthorized","errorType":"errorString"}`), ""
	case "Bearer lambda-error":
		return []byte(`{"errorMessage":"boom","errorType":"errorString"}`), ""
	case "Bearer garbage":
		return []byte(`not json`), ""
	case "Bearer object-context":
		return policyAnswer("x", "Allow", []string{"*"}, map[string]any{"o": map[string]any{"a": 1}}), ""
	case "Bearer no-policy":
		return []byte(`{"principalId":"x"}`), ""
	}
	return nil, "Unauthorized"
}

func customReq(a *wire.CustomAuthorizer, method, path string, headers map[string]string) *wire.AuthzRequest {
	return &wire.AuthzRequest{
		APIID: "api", Stage: "prod", Method: method, Path: path, ResourcePath: path,
		MethodARN: arnBase + method + path, Custom: a, Headers: headers,
		SourceIP: "192.0.2.10", RequestID: "req-1", AccountID: "123456789012",
	}
}

func check(t *testing.T, c *authzclient.Client, req *wire.AuthzRequest) wire.AuthzDecision {
	t.Helper()
	d, err := c.Check(context.Background(), req)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return d
}

func TestCustomTokenAuthorizer(t *testing.T) {
	e := newEnv(t)
	e.start(t, nil)
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:token-auth/invocations"
	subject := wire.AuthorizerSubject(uri)
	if subject != wire.LambdaSubject("token-auth") {
		t.Fatalf("AuthorizerSubject(%q) = %q, want %q", uri, subject, wire.LambdaSubject("token-auth"))
	}
	f := startFn(t, e, subject, tokenFn)
	c := e.client(t, nil)
	a := &wire.CustomAuthorizer{ID: "tok", Type: wire.AuthorizerToken, FunctionSubject: subject,
		IdentitySource: "method.request.header.Authorization", IdentityValidationExpression: "Bearer .+"}
	auth := func(tok string) map[string]string { return map[string]string{"authorization": tok} }

	// Allow: principal, stringified context, usage key; the event is AWS's TOKEN event.
	d := check(t, c, customReq(a, "GET", "/pets", auth("Bearer allow-get")))
	if !d.Allow || d.PrincipalID != "alice" || d.UsageKey != "usage-alice" {
		t.Fatalf("allow-get GET = %+v, want allow for alice with usage key", d)
	}
	if d.Context["tier"] != "gold" || d.Context["n"] != "42" || d.Context["ok"] != "true" {
		t.Errorf("context = %v, want tier=gold n=42 ok=true", d.Context)
	}
	var ev events.APIGatewayCustomAuthorizerRequest
	f.last(t, &ev)
	if ev.Type != "TOKEN" || ev.AuthorizationToken != "Bearer allow-get" || ev.MethodArn != arnBase+"GET/pets" {
		t.Errorf("event = %+v", ev)
	}
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("function calls = %d, want 1", n)
	}

	// The policy is cached whole: another GET is allowed and DELETE denied, without a call.
	if d := check(t, c, customReq(a, "GET", "/pets/7", auth("Bearer allow-get"))); !d.Allow {
		t.Errorf("cached policy, GET /pets/7 = %+v, want allow", d)
	}
	d = check(t, c, customReq(a, "DELETE", "/pets", auth("Bearer allow-get")))
	if d.Allow || d.Code != wire.CodeForbidden || !d.CapitalMessage || d.GatewayResponse != "ACCESS_DENIED" ||
		d.Message != "User is not authorized to access this resource with an explicit deny" {
		t.Errorf("cached policy, DELETE = %+v, want explicit deny", d)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("function calls after cached checks = %d, want 1", n)
	}

	tests := []struct {
		name, token, code, gateway string
		capital                    bool
	}{
		{"explicit deny", "Bearer deny", wire.CodeForbidden, "ACCESS_DENIED", true},
		{"micro error Unauthorized", "Bearer unauthorized", wire.CodeUnauthorized, "UNAUTHORIZED", false},
		{"lambda error Unauthorized", "Bearer lambda-unauthorized", wire.CodeUnauthorized, "UNAUTHORIZED", false},
		{"lambda error", "Bearer lambda-error", wire.CodeInternal, "AUTHORIZER_CONFIGURATION_ERROR", false},
		{"malformed", "Bearer garbage", wire.CodeInternal, "AUTHORIZER_CONFIGURATION_ERROR", false},
		{"object context", "Bearer object-context", wire.CodeInternal, "AUTHORIZER_CONFIGURATION_ERROR", false},
		{"no policy", "Bearer no-policy", wire.CodeInternal, "AUTHORIZER_CONFIGURATION_ERROR", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := check(t, c, customReq(a, "GET", "/pets", auth(tt.token)))
			if d.Allow || d.Code != tt.code || d.GatewayResponse != tt.gateway || d.CapitalMessage != tt.capital {
				t.Errorf("Check(%q) = %+v, want code %s gateway %s capital %v", tt.token, d, tt.code, tt.gateway, tt.capital)
			}
			if wire.StatusOf(d.Code) == 401 && d.Message != "Unauthorized" {
				t.Errorf("401 message = %q, want Unauthorized", d.Message)
			}
		})
	}

	// Missing identity source, or a token failing the validation expression: 401 without a
	// call (and, for the missing source, without a request to authz).
	before, reqs := f.calls.Load(), c.Stats().Requests
	for _, h := range []map[string]string{nil, auth(""), auth("Basic abc")} {
		if d := check(t, c, customReq(a, "GET", "/pets", h)); d.Code != wire.CodeUnauthorized || d.GatewayResponse != "UNAUTHORIZED" {
			t.Errorf("headers %v: %+v, want 401", h, d)
		}
	}
	if n := f.calls.Load(); n != before {
		t.Errorf("function calls = %d, want %d: a request without a valid identity source must not reach it", n, before)
	}
	if r := c.Stats().Requests; r != reqs+1 { // only "Basic abc" reaches authz
		t.Errorf("requests to authz = %d, want %d", r, reqs+1)
	}
	// authz itself refuses a missing source without calling the function, too.
	body := mustMarshal(t, customReq(a, "GET", "/pets", nil))
	if d := request(t, natstest.Connect(t, e.srv), body); d.Code != wire.CodeUnauthorized {
		t.Errorf("authz without identity source = %+v, want 401", d)
	}
	if n := f.calls.Load(); n != before {
		t.Errorf("function calls = %d, want %d", n, before)
	}
}

func TestCustomAuthorizerTTL(t *testing.T) {
	e := newEnv(t)
	e.start(t, nil)
	f := startFn(t, e, "auth.ttl", tokenFn)
	c := e.client(t, nil)
	zero := 0
	cached := &wire.CustomAuthorizer{ID: "cached", Type: wire.AuthorizerToken, FunctionSubject: "auth.ttl"}
	uncached := &wire.CustomAuthorizer{ID: "uncached", Type: wire.AuthorizerToken, FunctionSubject: "auth.ttl", TTLSeconds: &zero}
	h := map[string]string{"Authorization": "Bearer allow-get"}

	for range 5 {
		if d := check(t, c, customReq(cached, "GET", "/pets", h)); !d.Allow {
			t.Fatalf("cached authorizer: %+v", d)
		}
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("TTL 300: function calls for 5 checks = %d, want 1", n)
	}
	// A different token is a different cache entry.
	check(t, c, customReq(cached, "GET", "/pets", map[string]string{"Authorization": "Bearer deny"}))
	if n := f.calls.Load(); n != 2 {
		t.Errorf("new token: function calls = %d, want 2", n)
	}
	f.calls.Store(0)
	for range 3 {
		if d := check(t, c, customReq(uncached, "GET", "/pets", h)); !d.Allow || d.TTLSeconds != 0 {
			t.Fatalf("uncached authorizer: %+v", d)
		}
	}
	if n := f.calls.Load(); n != 3 {
		t.Errorf("TTL 0: function calls for 3 checks = %d, want 3", n)
	}
}

func TestCustomRequestAuthorizer(t *testing.T) {
	e := newEnv(t)
	e.start(t, nil)
	f := startFn(t, e, "auth.request", func(data []byte) ([]byte, string) {
		var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
		if err := json.Unmarshal(data, &ev); err != nil {
			return nil, "bad event"
		}
		if ev.Headers["X-Tenant"] == "acme" && ev.QueryStringParameters["sig"] == "s1" && ev.StageVariables["env"] == "prod" {
			return policyAnswer("acme", "Allow", []string{"arn:aws:execute-api:*:*:api/prod/*"}, map[string]any{"tenant": "acme"}), ""
		}
		return policyAnswer("nobody", "Deny", []string{"*"}, nil), ""
	})
	c := e.client(t, nil)
	a := &wire.CustomAuthorizer{ID: "req", Type: wire.AuthorizerRequest, FunctionSubject: "auth.request",
		IdentitySource: "method.request.header.X-Tenant, method.request.querystring.sig, stageVariables.env"}
	mk := func(tenant, sig string) *wire.AuthzRequest {
		r := customReq(a, "POST", "/orders", map[string]string{"X-Tenant": tenant, "User-Agent": "test"})
		r.MultiValueHeaders = map[string][]string{"X-Tenant": {tenant}, "User-Agent": {"test"}}
		if sig != "" {
			r.Query = map[string]string{"sig": sig}
		}
		r.StageVariables = map[string]string{"env": "prod"}
		r.PathParams = map[string]string{"id": "7"}
		return r
	}
	d := check(t, c, mk("acme", "s1"))
	if !d.Allow || d.PrincipalID != "acme" || d.Context["tenant"] != "acme" {
		t.Fatalf("acme = %+v, want allow", d)
	}
	var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
	f.last(t, &ev)
	if ev.Type != "REQUEST" || ev.MethodArn != arnBase+"POST/orders" || ev.HTTPMethod != "POST" || ev.Resource != "/orders" ||
		ev.MultiValueHeaders["X-Tenant"][0] != "acme" || ev.PathParameters["id"] != "7" ||
		ev.RequestContext.Identity.SourceIP != "192.0.2.10" || ev.RequestContext.RequestID != "req-1" ||
		ev.RequestContext.AccountID != "123456789012" || ev.RequestContext.Stage != "prod" || ev.RequestContext.APIID != "api" {
		t.Errorf("event = %+v", ev)
	}
	check(t, c, mk("acme", "s1"))
	if n := f.calls.Load(); n != 1 {
		t.Errorf("same identity sources: calls = %d, want 1", n)
	}
	if d := check(t, c, mk("acme", "s2")); d.Allow || !d.CapitalMessage {
		t.Errorf("other query value = %+v, want explicit deny", d)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("other identity sources: calls = %d, want 2", n)
	}
	// A missing query source: 401 without a call.
	if d := check(t, c, mk("acme", "")); d.Code != wire.CodeUnauthorized {
		t.Errorf("missing query source = %+v, want 401", d)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("missing source: calls = %d, want 2", n)
	}
}

func TestCustomSimpleResponses(t *testing.T) {
	e := newEnv(t)
	e.start(t, nil)
	f := startFn(t, e, "auth.simple", func(data []byte) ([]byte, string) {
		var ev events.APIGatewayV2CustomAuthorizerV2Request
		if err := json.Unmarshal(data, &ev); err != nil {
			return nil, "bad event"
		}
		ok := ev.Headers["authorization"] == "secret"
		b, _ := json.Marshal(map[string]any{"isAuthorized": ok, "context": map[string]any{"user": "u1", "level": 3}})
		return b, ""
	})
	c := e.client(t, nil)
	a := &wire.CustomAuthorizer{ID: "simple", Type: wire.AuthorizerRequest, FunctionSubject: "auth.simple",
		IdentitySource: "$request.header.Authorization", PayloadFormat: "2.0", EnableSimpleResponses: true}
	r := customReq(a, "GET", "/items", map[string]string{"Authorization": "secret", "Cookie": "a=1; b=2"})
	r.RouteKey, r.RawQuery = "GET /items", "x=1"
	d := check(t, c, r)
	if !d.Allow || d.Context["user"] != "u1" || d.Context["level"] != "3" {
		t.Fatalf("simple allow = %+v", d)
	}
	var ev events.APIGatewayV2CustomAuthorizerV2Request
	f.last(t, &ev)
	if ev.Version != "2.0" || ev.Type != "REQUEST" || ev.RouteArn != arnBase+"GET/items" || len(ev.IdentitySource) != 1 ||
		ev.IdentitySource[0] != "secret" || ev.RouteKey != "GET /items" || ev.RawQueryString != "x=1" ||
		len(ev.Cookies) != 2 || ev.RequestContext.HTTP.SourceIP != "192.0.2.10" || ev.RequestContext.HTTP.Method != "GET" {
		t.Errorf("event = %+v", ev)
	}
	d = check(t, c, customReq(a, "GET", "/items", map[string]string{"Authorization": "wrong"}))
	if d.Allow || d.Code != wire.CodeForbidden || d.Message != "Forbidden" {
		t.Errorf("simple deny = %+v, want 403 Forbidden", d)
	}
	// The simple answer does not depend on the route: another route reuses it.
	check(t, c, customReq(a, "DELETE", "/items", map[string]string{"Authorization": "secret"}))
	if n := f.calls.Load(); n != 2 {
		t.Errorf("calls = %d, want 2", n)
	}
}

func TestCustomAuthorizerFailures(t *testing.T) {
	e := newEnv(t)
	e.start(t, func(c *authz.Config) { c.Custom.Timeout = 200 * time.Millisecond })
	// A function that never answers.
	nc := natstest.Connect(t, e.srv)
	var calls atomic.Int64
	sub, err := nc.Subscribe("auth.silent", func(*nats.Msg) { calls.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	c := e.client(t, nil)
	h := map[string]string{"Authorization": "t"}
	tests := []struct {
		name    string
		a       *wire.CustomAuthorizer
		gateway string
	}{
		{"timeout", &wire.CustomAuthorizer{ID: "silent", Type: wire.AuthorizerToken, FunctionSubject: "auth.silent"}, "AUTHORIZER_FAILURE"},
		{"no responders", &wire.CustomAuthorizer{ID: "absent", Type: wire.AuthorizerToken, FunctionSubject: "auth.absent"}, "AUTHORIZER_FAILURE"},
		{"bad subject", &wire.CustomAuthorizer{ID: "bad", Type: wire.AuthorizerToken, FunctionSubject: "auth.*"}, "AUTHORIZER_CONFIGURATION_ERROR"},
		{"bad type", &wire.CustomAuthorizer{ID: "bad2", Type: "COGNITO", FunctionSubject: "auth.x"}, "AUTHORIZER_CONFIGURATION_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := check(t, c, customReq(tt.a, "GET", "/pets", h))
			if d.Allow || d.Code != wire.CodeInternal || wire.StatusOf(d.Code) != 500 || d.GatewayResponse != tt.gateway {
				t.Errorf("Check = %+v, want 500 %s", d, tt.gateway)
			}
		})
	}
	if calls.Load() != 1 {
		t.Errorf("silent function calls = %d, want 1", calls.Load())
	}
	// Failures are not cached: the next request asks again.
	check(t, c, customReq(tests[0].a, "GET", "/pets", h))
	if calls.Load() != 2 {
		t.Errorf("silent function calls after retry = %d, want 2 (failures are not cached)", calls.Load())
	}
	if !strings.Contains(e.logs.String(), "custom authorizer failed") {
		t.Error("the timeout was not logged")
	}
}

// With apiKeySource AUTHORIZER the authorizer's usageIdentifierKey is the API key checked.
func TestCustomAuthorizerUsageIdentifierKey(t *testing.T) {
	e := newEnv(t)
	e.putKey(t, "k-alice", "usage-alice", true, "api/prod")
	e.start(t, nil)
	startFn(t, e, "auth.usage", tokenFn)
	c := e.client(t, nil)
	a := &wire.CustomAuthorizer{ID: "usage", Type: wire.AuthorizerToken, FunctionSubject: "auth.usage"}
	r := customReq(a, "GET", "/pets", map[string]string{"Authorization": "Bearer allow-get"})
	r.NeedAPIKey = true
	if d := check(t, c, r); !d.Allow || d.APIKeyID != "k-alice" || d.UsageKey != "k-alice" {
		t.Errorf("usageIdentifierKey of a known key = %+v, want allow with key k-alice", d)
	}
	// The function's key for bob is not a stored key: 403 Forbidden.
	r = customReq(a, "GET", "/pets", map[string]string{"Authorization": "Bearer allow-bob"})
	r.NeedAPIKey = true
	if d := check(t, c, r); d.Allow || d.Code != wire.CodeForbidden || d.Message != "Forbidden" {
		t.Errorf("unknown usage key = %+v, want 403 Forbidden", d)
	}
}
