package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

const authzAPI = `openapi: 3.0.1
info: {title: authz, version: "1"}
paths:
  /secure:
    get:
      security: [{tokenauth: []}]
      x-amazon-apigateway-integration: {type: nats_proxy, uri: authz.e2e.backend}
  /iam:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: {type: nats_proxy, uri: authz.e2e.backend}
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: {type: nats_proxy, uri: authz.e2e.backend}
components:
  securitySchemes:
    tokenauth:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:e2etokenauth/invocations
        authorizerResultTtlInSeconds: 300
    sigv4:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: awsSigv4
`

// TestAuthorizersThroughTheGateway drives a TOKEN authorizer that is a NATS subscriber (allow
// with context, explicit deny, Unauthorized, missing token, caching) and AWS_IAM with SigV4
// signatures from aws-sdk-go-v2, end to end through portico serve.
func TestAuthorizersThroughTheGateway(t *testing.T) {
	g := startServe(t, serveOptions{})
	nc := natstest.ConnectURL(t, g.natsURL())
	var calls atomic.Int64
	fn, err := nc.Subscribe(wire.LambdaSubject("e2etokenauth"), func(m *nats.Msg) {
		calls.Add(1)
		var ev events.APIGatewayCustomAuthorizerRequest
		if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Type != "TOKEN" || ev.MethodArn == "" {
			_ = m.Respond([]byte(`{"errorMessage":"bad event"}`))
			return
		}
		effect := "Allow"
		switch ev.AuthorizationToken {
		case "unauthorized":
			_ = m.Respond([]byte(`{"errorMessage":"Unauthorized","errorType":"Error"}`))
			return
		case "deny":
			effect = "Deny"
		}
		resp := events.APIGatewayCustomAuthorizerResponse{PrincipalID: "alice",
			PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: []events.IAMPolicyStatement{
				{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{ev.MethodArn}}}},
			Context: map[string]any{"team": "pets"}}
		b, _ := json.Marshal(resp)
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fn.Unsubscribe() })
	var mu sync.Mutex
	var seen nats.Header
	be, err := nc.Subscribe("authz.e2e.backend", func(m *nats.Msg) {
		mu.Lock()
		seen = m.Header
		mu.Unlock()
		_ = m.Respond([]byte(`{"ok":true}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Unsubscribe() })
	imp := importAPI(t, g, authzAPI, "--stage", "prod")

	t.Run("token allow with context", func(t *testing.T) {
		expect(t, "GET /secure allow", do(t, "GET", imp.InvokeURL+"/secure", "", "Authorization", "allow"), 200, `{"ok":true}`)
		mu.Lock()
		principal, authCtx := seen.Get(wire.HeaderPrincipalID), seen.Get(wire.HeaderAuthorizer)
		mu.Unlock()
		if principal != "alice" || !strings.Contains(authCtx, `"team":"pets"`) {
			t.Errorf("backend saw principal %q context %q", principal, authCtx)
		}
		before := calls.Load()
		expect(t, "GET /secure allow again", do(t, "GET", imp.InvokeURL+"/secure", "", "Authorization", "allow"), 200, `{"ok":true}`)
		if calls.Load() != before {
			t.Errorf("authorizer called again within its TTL (%d → %d calls)", before, calls.Load())
		}
	})
	t.Run("token explicit deny", func(t *testing.T) {
		expect(t, "GET /secure deny", do(t, "GET", imp.InvokeURL+"/secure", "", "Authorization", "deny"), 403,
			`{"Message":"User is not authorized to access this resource with an explicit deny"}`)
	})
	t.Run("token unauthorized", func(t *testing.T) {
		expect(t, "GET /secure unauthorized", do(t, "GET", imp.InvokeURL+"/secure", "", "Authorization", "unauthorized"), 401, `{"message":"Unauthorized"}`)
	})
	t.Run("token missing", func(t *testing.T) {
		before := calls.Load()
		expect(t, "GET /secure without a token", do(t, "GET", imp.InvokeURL+"/secure", ""), 401, `{"message":"Unauthorized"}`)
		if calls.Load() != before {
			t.Errorf("authorizer called without an identity source")
		}
	})
	t.Run("iam", func(t *testing.T) {
		signed := func(method, body, secret string) response {
			req, _ := http.NewRequest(method, imp.InvokeURL+"/iam?b=2&a=1", strings.NewReader(body))
			sum := sha256.Sum256([]byte(body))
			err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: secret},
				req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return response{resp.StatusCode, resp.Header, string(b)}
		}
		expect(t, "signed GET with the admin credentials", signed("GET", "", "test"), 200, `{"ok":true}`)
		expect(t, "signed POST with a body", signed("POST", `{"x":1}`, "test"), 200, `{"ok":true}`)
		if r := signed("GET", "", "wrong-secret"); r.status != 403 || !strings.Contains(r.body, "signature") {
			t.Errorf("wrong secret = %d %s, want 403 naming the signature", r.status, r.body)
		}
		expect(t, "unsigned", do(t, "GET", imp.InvokeURL+"/iam", ""), 403, `{"message":"Missing Authentication Token"}`)
	})
	t.Run("iam user managed through admin", func(t *testing.T) {
		policy := t.TempDir() + "/policy.json"
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:` + imp.APIID + `/*/GET/*"}]}`
		if err := writeFile(policy, doc); err != nil {
			t.Fatal(err)
		}
		var u iamUserResult
		out := cli(t, "iam", "create-user", "--name", "alice", "--policy-file", policy, "--admin", "http://"+g.opts.adminAddr, "-o", "json")
		if err := json.Unmarshal([]byte(out), &u); err != nil || u.AccessKeyID == "" || u.SecretAccessKey == "" {
			t.Fatalf("iam create-user printed %q (%v)", out, err)
		}
		signedAs := func(method string) response {
			req, _ := http.NewRequest(method, imp.InvokeURL+"/iam", nil)
			sum := sha256.Sum256(nil)
			if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: u.AccessKeyID, SecretAccessKey: u.SecretAccessKey},
				req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return response{resp.StatusCode, resp.Header, string(b)}
		}
		expect(t, "GET allowed by alice's policy", signedAs("GET"), 200, `{"ok":true}`)
		r := signedAs("POST")
		want := "User: " + u.UserARN + " is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:000000000000:" + imp.APIID + "/prod/POST/iam"
		if r.status != 403 || !strings.Contains(r.body, want) {
			t.Errorf("POST outside alice's policy = %d %s, want 403 with %q", r.status, r.body, want)
		}
		cli(t, "iam", "delete-user", "--access-key-id", u.AccessKeyID, "--admin", "http://"+g.opts.adminAddr)
		natstest.Eventually(t, 2*time.Second, func() error {
			if r := signedAs("GET"); r.status != 403 {
				return fmt.Errorf("GET after delete-user = %d %s", r.status, r.body)
			}
			return nil
		})
	})
}
