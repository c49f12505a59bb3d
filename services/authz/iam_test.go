package authz_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/portico/portico/pkg/authzclient"
	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/authz"
)

const (
	adminKey    = "AKIAADMIN00000000001"
	adminSecret = "admin/secret+key0000000000000000000000000"
	aliceKey    = "AKIAALICE00000000001"
	aliceSecret = "alice/secret+key0000000000000000000000000"
)

// putUser writes an IAM credential record as admin does.
func (e *env) putUser(t *testing.T, c model.IAMCredential) {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.bucket(t).Put(context.Background(), wire.KeyIAMUser(c.AccessKeyID), b); err != nil {
		t.Fatal(err)
	}
}

// signed builds a request signed by aws-sdk-go-v2's signer, as the edge would receive it.
func signed(t *testing.T, key, secret, method, path string, body []byte) *sigv4.Request {
	t.Helper()
	req, err := http.NewRequest(method, "https://api.execute-api.example.com"+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return sigv4.FromHTTP(req, body)
}

// signedToken signs with temporary credentials (a session token).
func signedToken(t *testing.T, key, secret, token, method, path string) *sigv4.Request {
	t.Helper()
	req, err := http.NewRequest(method, "https://api.execute-api.example.com"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(nil)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token},
		req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return sigv4.FromHTTP(req, nil)
}

func methodARN(method, path string) string {
	return iampolicy.MethodARN("us-east-1", "123456789012", "api", "prod", method, path)
}

func verify(t *testing.T, c *authzclient.Client, r *sigv4.Request, method, path string) wire.AuthzDecision {
	t.Helper()
	d, err := c.VerifySigV4(context.Background(), r, methodARN(method, path), "192.0.2.1")
	if err != nil {
		t.Fatalf("VerifySigV4: %v", err)
	}
	return d
}

func TestIAMSigV4(t *testing.T) {
	e := newEnv(t)
	getOnly := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:api/*/GET/*"},
		{"Effect":"Allow","Action":"execute-api:ManageConnections","Resource":"arn:aws:execute-api:*:*:api/prod/POST/@connections/*"},
		{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:api/*/GET/secret"}]}`)
	e.putUser(t, model.IAMCredential{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret, UserName: "alice", Policies: []json.RawMessage{getOnly}})
	past := time.Now().Add(-time.Minute)
	e.putUser(t, model.IAMCredential{AccessKeyID: "ASIAEXPIRED000000001", SecretAccessKey: aliceSecret, SessionToken: "tok", Expires: &past,
		Policies: []json.RawMessage{json.RawMessage(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}})
	e.start(t, func(c *authz.Config) {
		c.AdminAccessKeyID, c.AdminSecretAccessKey, c.AccountID = adminKey, adminSecret, "123456789012"
	})
	c := e.client(t, nil)
	// A tap sees every credentials request (a plain subscription next to authz's queue).
	tap := natstest.Connect(t, e.srv)
	tapSub, err := tap.SubscribeSync(wire.SubjectAuthzCredentials)
	if err != nil {
		t.Fatal(err)
	}
	if err := tap.Flush(); err != nil {
		t.Fatal(err)
	}
	credRequests := func() int {
		t.Helper()
		if err := tap.Flush(); err != nil { // everything sent before is now queued
			t.Fatal(err)
		}
		n, _, err := tapSub.Pending()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Allowed by policy (GET), signed with a body too.
	if d := verify(t, c, signed(t, aliceKey, aliceSecret, "GET", "/pets", nil), "GET", "/pets"); !d.Allow || d.PrincipalID != "arn:aws:iam::123456789012:user/alice" {
		t.Fatalf("alice GET /pets = %+v, want allow", d)
	}
	if d := verify(t, c, signed(t, aliceKey, aliceSecret, "GET", "/pets/1", []byte(`{"q":1}`)), "GET", "/pets/1"); !d.Allow {
		t.Fatalf("alice GET with body = %+v, want allow", d)
	}
	// Implicitly denied (POST) and explicitly denied (GET /secret), with AWS's messages.
	d := verify(t, c, signed(t, aliceKey, aliceSecret, "POST", "/pets", []byte(`{}`)), "POST", "/pets")
	wantMsg := "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: execute-api:Invoke on resource: " + methodARN("POST", "/pets")
	if d.Allow || d.Code != wire.CodeForbidden || d.GatewayResponse != "ACCESS_DENIED" || !d.CapitalMessage || d.Message != wantMsg {
		t.Errorf("alice POST = %+v, want ACCESS_DENIED %q", d, wantMsg)
	}
	d = verify(t, c, signed(t, aliceKey, aliceSecret, "GET", "/secret", nil), "GET", "/secret")
	if d.Allow || !strings.HasSuffix(d.Message, " with an explicit deny") {
		t.Errorf("alice GET /secret = %+v, want explicit deny", d)
	}
	// ManageConnections (@connections).
	conn := iampolicy.MethodARN("us-east-1", "123456789012", "api", "prod", "POST", "@connections/abc=")
	md, err := c.VerifySigV4Action(context.Background(), signed(t, aliceKey, aliceSecret, "POST", "/@connections/abc=", []byte("hi")),
		iampolicy.ActionManageConnections, conn, "192.0.2.1")
	if err != nil || !md.Allow {
		t.Errorf("alice ManageConnections = %+v, %v; want allow", md, err)
	}
	// Admin credentials are the account root: every check passes.
	if d := verify(t, c, signed(t, adminKey, adminSecret, "DELETE", "/anything", nil), "DELETE", "/anything"); !d.Allow || d.PrincipalID != "arn:aws:iam::123456789012:root" {
		t.Errorf("admin DELETE = %+v, want allow as root", d)
	}

	// Signature failures, with the gateway response types.
	expired := signedToken(t, "ASIAEXPIRED000000001", aliceSecret, "tok", "GET", "/pets")
	tampered := signed(t, aliceKey, aliceSecret, "GET", "/pets", []byte("a"))
	tampered.Body = []byte("b")
	wrongSecret := signed(t, aliceKey, "not-the-secret", "GET", "/pets", nil)
	unknown := signed(t, "AKIAUNKNOWN000000001", "x", "GET", "/pets", nil)
	unsigned := signed(t, aliceKey, aliceSecret, "GET", "/pets", nil)
	unsigned.Header = http.Header{"Host": {"api.execute-api.example.com"}}
	tests := []struct {
		name    string
		r       *sigv4.Request
		gateway string
	}{
		{"tampered body", tampered, sigv4.CodeInvalidSignature},
		{"wrong secret", wrongSecret, sigv4.CodeInvalidSignature},
		{"unknown key", unknown, sigv4.CodeInvalidSignature},
		{"unsigned", unsigned, sigv4.CodeMissingAuthenticationToken},
		{"expired temporary credentials", expired, sigv4.CodeExpiredToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := verify(t, c, tt.r, "GET", "/pets")
			if d.Allow || d.GatewayResponse != tt.gateway || wire.StatusOf(d.Code) != 403 {
				t.Errorf("VerifySigV4 = %+v, want 403 %s", d, tt.gateway)
			}
		})
	}

	// Credentials are cached: further checks ask authz nothing.
	before := credRequests()
	if before == 0 {
		t.Fatal("the tap saw no credentials request")
	}
	for range 3 {
		verify(t, c, signed(t, aliceKey, aliceSecret, "GET", "/pets", nil), "GET", "/pets")
	}
	if after := credRequests(); after != before {
		t.Errorf("credentials requests grew from %d to %d on warm checks", before, after)
	}

	// Revoke alice: the next request is refused (invalidation, not TTL expiry).
	if err := e.bucket(t).Delete(context.Background(), wire.KeyIAMUser(aliceKey)); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 5*time.Second, func() error {
		d := verify(t, c, signed(t, aliceKey, aliceSecret, "GET", "/pets", nil), "GET", "/pets")
		if d.Allow {
			return fmt.Errorf("revoked key still allowed: %+v", d)
		}
		if d.GatewayResponse != sigv4.CodeInvalidSignature {
			return fmt.Errorf("revoked key: %+v, want INVALID_SIGNATURE (unknown key)", d)
		}
		return nil
	})

	// Re-created with a narrower policy: the change reaches the cache too.
	e.putUser(t, model.IAMCredential{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret, UserName: "alice",
		Policies: []json.RawMessage{json.RawMessage(`"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"*/POST/*\"}}"`)}})
	natstest.Eventually(t, 5*time.Second, func() error {
		if d := verify(t, c, signed(t, aliceKey, aliceSecret, "POST", "/pets", nil), "POST", "/pets"); !d.Allow {
			return fmt.Errorf("re-created key: POST = %+v, want allow", d)
		}
		if d := verify(t, c, signed(t, aliceKey, aliceSecret, "GET", "/pets", nil), "GET", "/pets"); d.Allow {
			return fmt.Errorf("re-created key: GET = %+v, want deny", d)
		}
		return nil
	})
}

func TestIAMCredentialsValidation(t *testing.T) {
	e := newEnv(t)
	// A record with a broken policy, one for another key id, and a disabled one are refused.
	e.putUser(t, model.IAMCredential{AccessKeyID: "AKIABROKEN", SecretAccessKey: "s", Policies: []json.RawMessage{json.RawMessage(`{"Statement":{}}`)}})
	b, _ := json.Marshal(model.IAMCredential{AccessKeyID: "AKIAOTHER", SecretAccessKey: "s"})
	if _, err := e.bucket(t).Put(context.Background(), wire.KeyIAMUser("AKIAMISMATCH"), b); err != nil {
		t.Fatal(err)
	}
	e.putUser(t, model.IAMCredential{AccessKeyID: "AKIADISABLED", SecretAccessKey: "s", Disabled: true})
	e.putUser(t, model.IAMCredential{AccessKeyID: "AKIAGOOD", SecretAccessKey: "s", UserARN: "arn:aws:iam::111111111111:user/good"})
	e.start(t, nil)
	nc := natstest.Connect(t, e.srv)
	for _, tt := range []struct {
		id    string
		found bool
	}{{"AKIABROKEN", false}, {"AKIAMISMATCH", false}, {"AKIADISABLED", false}, {"AKIAGOOD", true}, {"AKIANONE", false}} {
		msg, err := nc.Request(wire.SubjectAuthzCredentials, mustMarshal(t, wire.CredentialsRequest{AccessKeyID: tt.id}), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var rep wire.CredentialsReply
		if err := json.Unmarshal(msg.Data, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Found != tt.found {
			t.Errorf("credentials(%s).Found = %v, want %v", tt.id, rep.Found, tt.found)
		}
		if tt.found && rep.PrincipalARN != "arn:aws:iam::111111111111:user/good" {
			t.Errorf("credentials(%s).PrincipalARN = %q", tt.id, rep.PrincipalARN)
		}
	}
	msg, err := nc.Request(wire.SubjectAuthzCredentials, []byte(`{`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(msg.Data), wire.CodeBadRequest) {
		t.Errorf("malformed request answered %s, want code %s", msg.Data, wire.CodeBadRequest)
	}
}
