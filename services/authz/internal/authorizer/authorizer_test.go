package authorizer

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/wire"
)

func TestParseAnswer(t *testing.T) {
	tests := []struct {
		name, body string
		simple     bool
		wantErr    bool
		check      func(t *testing.T, a *Answer)
	}{
		{"policy", `{"principalId":"u","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]},"context":{"s":"x","n":1.5,"b":false,"z":null},"usageIdentifierKey":"k"}`, false, false,
			func(t *testing.T, a *Answer) {
				if a.PrincipalID != "u" || a.UsageKey != "k" || a.Context["s"] != "x" || a.Context["n"] != "1.5" || a.Context["b"] != "false" {
					t.Errorf("answer = %+v", a)
				}
				if _, ok := a.Context["z"]; ok {
					t.Error("null context value kept")
				}
				if a.Policy.Evaluate(&iampolicy.Request{Action: iampolicy.ActionInvoke, Resource: "arn:x"}) != iampolicy.Allow {
					t.Error("policy does not allow")
				}
			}},
		{"lambda-go marshalled response", mustJSON(events.APIGatewayCustomAuthorizerResponse{PrincipalID: "p", PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: "Deny", Resource: []string{"*"}}}}}), false, false,
			func(t *testing.T, a *Answer) {
				if a.Policy.Evaluate(&iampolicy.Request{Action: iampolicy.ActionInvoke, Resource: "arn:x"}) != iampolicy.ExplicitDeny {
					t.Error("policy does not deny")
				}
			}},
		{"numeric principal", `{"principalId":12,"policyDocument":{"Statement":{"Action":"*","Effect":"Allow","Resource":"*"}}}`, false, false,
			func(t *testing.T, a *Answer) {
				if a.PrincipalID != "12" {
					t.Errorf("principal = %q", a.PrincipalID)
				}
			}},
		{"unauthorized", `{"errorMessage":"Unauthorized"}`, false, false, func(t *testing.T, a *Answer) {
			if !a.Unauthorized {
				t.Error("not Unauthorized")
			}
		}},
		{"simple", `{"isAuthorized":true,"context":{"a":"b"}}`, true, false, func(t *testing.T, a *Answer) {
			if !a.Simple || !a.IsAuthorized || a.Context["a"] != "b" {
				t.Errorf("answer = %+v", a)
			}
		}},
		{"simple without isAuthorized", `{"context":{}}`, true, true, nil},
		{"simple format for policy authorizer", `{"isAuthorized":true}`, false, true, nil},
		{"other error", `{"errorMessage":"boom"}`, false, true, nil},
		{"object principal", `{"principalId":{},"policyDocument":{"Statement":{"Action":"*","Effect":"Allow","Resource":"*"}}}`, false, true, nil},
		{"array context", `{"isAuthorized":true,"context":{"a":[1]}}`, true, true, nil},
		{"bad policy", `{"principalId":"u","policyDocument":{"Statement":{"Effect":"Perhaps"}}}`, false, true, nil},
		{"not json", `nope`, false, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAnswer([]byte(tt.body), tt.simple)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseAnswer = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("error %v is not ErrMalformed", err)
				}
				return
			}
			tt.check(t, a)
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestEventShapes(t *testing.T) {
	req := &wire.AuthzRequest{APIID: "a", Stage: "s", Method: "GET", Path: "/p", MethodARN: "arn:m",
		Headers: map[string]string{"Authorization": "tok"}, Query: map[string]string{"q": "1"}}
	now := time.Unix(1700000000, 0)
	tests := []struct {
		name string
		a    wire.CustomAuthorizer
		want string // a key the event must have
	}{
		{"rest token", wire.CustomAuthorizer{Type: wire.AuthorizerToken}, `"authorizationToken":"tok"`},
		{"rest request", wire.CustomAuthorizer{Type: wire.AuthorizerRequest}, `"multiValueQueryStringParameters":{"q":["1"]}`},
		{"http 1.0", wire.CustomAuthorizer{Type: wire.AuthorizerRequest, PayloadFormat: "1.0"}, `"version":"1.0"`},
		{"http 2.0", wire.CustomAuthorizer{Type: wire.AuthorizerRequest, PayloadFormat: "2.0"}, `"routeArn":"arn:m"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req.Custom = &tt.a
			b, err := Event(req, []string{"tok"}, now)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(b) || !contains(string(b), tt.want) {
				t.Errorf("Event = %s, want it to contain %s", b, tt.want)
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{
		`{"principalId":"u","policyDocument":{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]},"context":{"a":1}}`,
		`{"isAuthorized":false}`, `{"errorMessage":"Unauthorized"}`, `{"context":{"a":{}}}`, `null`, `[]`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, simple bool) {
		a, err := ParseAnswer(data, simple)
		if err != nil {
			return
		}
		if !a.Unauthorized && !simple && a.Policy == nil {
			t.Fatal("a policy answer without a policy")
		}
		if len(a.Context) > MaxContextKeys {
			t.Fatalf("%d context keys", len(a.Context))
		}
	})
}
