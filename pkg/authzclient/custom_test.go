package authzclient_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/portico/portico/pkg/authzclient"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
)

func TestIdentityValues(t *testing.T) {
	base := wire.AuthzRequest{
		APIID: "api", Stage: "prod", Method: "GET", RequestID: "r1", SourceIP: "192.0.2.1",
		Headers:           map[string]string{"Authorization": "tok", "X-Empty": ""},
		MultiValueHeaders: map[string][]string{"X-Multi": {"a", "b"}},
		Query:             map[string]string{"q": "1"},
		PathParams:        map[string]string{"id": "7"},
		StageVariables:    map[string]string{"env": "prod"},
		Context:           map[string]string{"custom": "c"},
	}
	tests := []struct {
		name, typ, source string
		want              []string
		ok                bool
	}{
		{"token default source", wire.AuthorizerToken, "", []string{"tok"}, true},
		{"token header case-insensitive", wire.AuthorizerToken, "method.request.header.AUTHORIZATION", []string{"tok"}, true},
		{"token two sources", wire.AuthorizerToken, "method.request.header.Authorization,method.request.querystring.q", nil, false},
		{"request rest sources", wire.AuthorizerRequest, "method.request.header.Authorization, method.request.querystring.q, stageVariables.env, context.requestId, method.request.path.id", []string{"tok", "1", "prod", "r1", "7"}, true},
		{"request http sources", wire.AuthorizerRequest, "$request.header.authorization,$request.querystring.q,$stageVariables.env,$context.identity.sourceIp,$context.custom", []string{"tok", "1", "prod", "192.0.2.1", "c"}, true},
		{"multi-value header joined", wire.AuthorizerRequest, "method.request.multivalueheader.X-Multi", []string{"a,b"}, true},
		{"missing header", wire.AuthorizerRequest, "method.request.header.X-None", nil, false},
		{"empty header", wire.AuthorizerRequest, "method.request.header.X-Empty", nil, false},
		{"missing query", wire.AuthorizerRequest, "$request.querystring.nope", nil, false},
		{"unknown source form", wire.AuthorizerRequest, "request.body.x", nil, false},
		{"request without sources", wire.AuthorizerRequest, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			r.Custom = &wire.CustomAuthorizer{ID: "a", Type: tt.typ, IdentitySource: tt.source}
			got, ok := authzclient.IdentityValues(&r)
			if ok != tt.ok || len(got) != len(tt.want) {
				t.Fatalf("IdentityValues(%q) = %q, %v; want %q, %v", tt.source, got, ok, tt.want, tt.ok)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("IdentityValues(%q)[%d] = %q, want %q", tt.source, i, got[i], tt.want[i])
				}
			}
		})
	}
}

// policyDecider answers every custom request as authz does for a policy allowing GET only.
func policyDecider(req wire.AuthzRequest) wire.AuthzDecision {
	policy := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:api/prod/GET/*"}]}`)
	d := wire.AuthzDecision{Allow: true, PrincipalID: "p-" + req.Headers["Authorization"], TTLSeconds: 300, Policy: policy}
	if req.Method != "GET" {
		d.Allow, d.Code = false, wire.CodeForbidden
	}
	return d
}

func TestCustomPolicyCachedAndEvaluatedPerMethod(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	r := startResponder(t, nc, policyDecider)
	c := newClient(t, nc, nil)
	a := &wire.CustomAuthorizer{ID: "auth", Type: wire.AuthorizerToken, FunctionSubject: "fn"}
	mk := func(method, token string) *wire.AuthzRequest {
		return &wire.AuthzRequest{APIID: "api", Stage: "prod", Method: method, Path: "/pets", Custom: a,
			MethodARN: "arn:aws:execute-api:us-east-1:123456789012:api/prod/" + method + "/pets",
			Headers:   map[string]string{"Authorization": token}}
	}
	ctx := context.Background()
	// A DELETE first: the policy comes back with a denial and is cached whole.
	d, err := c.Check(ctx, mk("DELETE", "t1"))
	if err != nil || d.Allow || !d.CapitalMessage || d.Message != authzclient.MsgExplicitDeny {
		t.Fatalf("DELETE = %+v, %v; want explicit deny", d, err)
	}
	d, err = c.Check(ctx, mk("GET", "t1"))
	if err != nil || !d.Allow || d.PrincipalID != "p-t1" || d.Code != "" || d.Policy != nil {
		t.Fatalf("GET from the cached policy = %+v, %v; want allow for p-t1", d, err)
	}
	if n := r.count.Load(); n != 1 {
		t.Errorf("requests = %d, want 1 (the policy is cached)", n)
	}
	// Another token is another entry; a missing token never reaches authz.
	if d, _ := c.Check(ctx, mk("GET", "t2")); !d.Allow || d.PrincipalID != "p-t2" {
		t.Errorf("GET t2 = %+v", d)
	}
	if d, _ := c.Check(ctx, mk("GET", "")); d.Code != wire.CodeUnauthorized || d.GatewayResponse != authzclient.GatewayUnauth {
		t.Errorf("GET without token = %+v, want 401", d)
	}
	if n := r.count.Load(); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
	// Another authorizer id with the same token is another entry too.
	other := mk("GET", "t1")
	other.Custom = &wire.CustomAuthorizer{ID: "other", Type: wire.AuthorizerToken, FunctionSubject: "fn"}
	c.Check(ctx, other)
	if n := r.count.Load(); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

func TestAccessKeyIDOf(t *testing.T) {
	tests := []struct {
		name string
		r    *sigv4.Request
		want string
	}{
		{"header", &sigv4.Request{Header: map[string][]string{"Authorization": {"AWS4-HMAC-SHA256 Credential=AKIA1/20240101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=ab"}}}, "AKIA1"},
		{"header values", &sigv4.Request{HeaderValues: func(n string) []string {
			if n == "authorization" {
				return []string{"AWS4-HMAC-SHA256 Credential=AKIA2/x"}
			}
			return nil
		}}, "AKIA2"},
		{"presigned", &sigv4.Request{RawQuery: "a=1&X-Amz-Credential=AKIA3%2F20240101%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Signature=x"}, "AKIA3"},
		{"none", &sigv4.Request{RawQuery: "a=1"}, ""},
		{"no credential", &sigv4.Request{Header: map[string][]string{"Authorization": {"Bearer x"}}}, ""},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := authzclient.AccessKeyIDOf(tt.r); got != tt.want {
				t.Errorf("AccessKeyIDOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzAccessKeyIDOf(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIA1/20240101/us-east-1/execute-api/aws4_request", "")
	f.Add("", "X-Amz-Credential=AKIA3%2Fx&b=%zz")
	f.Fuzz(func(t *testing.T, hdr, query string) {
		r := &sigv4.Request{RawQuery: query}
		if hdr != "" {
			r.Header = map[string][]string{"Authorization": {hdr}}
		}
		if id := authzclient.AccessKeyIDOf(r); len(id) > 128 {
			t.Fatalf("AccessKeyIDOf = %d bytes", len(id))
		}
	})
}

func FuzzIdentityValues(f *testing.F) {
	f.Add("method.request.header.Authorization, $request.querystring.q", "Authorization", "tok")
	f.Add(",,,", "", "")
	f.Fuzz(func(t *testing.T, source, header, value string) {
		r := &wire.AuthzRequest{Custom: &wire.CustomAuthorizer{Type: wire.AuthorizerRequest, IdentitySource: source},
			Headers: map[string]string{header: value}, Query: map[string]string{header: value}}
		vals, ok := authzclient.IdentityValues(r)
		if !ok {
			return
		}
		if len(vals) > authzclient.MaxIdentitySources {
			t.Fatalf("%d values", len(vals))
		}
		for _, v := range vals {
			if v == "" {
				t.Fatal("an empty identity value was accepted")
			}
		}
	})
}
