package sigv4

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// These tests use aws-sdk-go-v2's signer as the oracle: a request it signs
// is sent over loopback to a net/http server that verifies it.

var signingTime = time.Date(2024, 3, 15, 12, 30, 45, 0, time.UTC)

const (
	sdkKeyID  = "AKIAPORTICOTEST00001"
	sdkSecret = "s3cr3t/Key+With/Slashes0000000000000000"
	tempKeyID = "ASIAPORTICOTEST00002"
	tempToken = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/="
)

func sdkVerifier(now time.Time) *Verifier {
	return &Verifier{
		Lookup: func(id string) (Credentials, bool) {
			switch id {
			case sdkKeyID:
				return Credentials{AccessKeyID: id, SecretAccessKey: sdkSecret}, true
			case tempKeyID:
				return Credentials{AccessKeyID: id, SecretAccessKey: sdkSecret, SessionToken: tempToken, Expires: now.Add(time.Hour)}, true
			}
			return Credentials{}, false
		},
		Service: "execute-api",
		Region:  "eu-west-1",
		Now:     func() time.Time { return now },
	}
}

type verifyResult struct {
	id  *Identity
	err error
}

// verifyServer starts a loopback server verifying every request with v.
func verifyServer(t *testing.T, v *Verifier) (*httptest.Server, <-chan verifyResult) {
	t.Helper()
	results := make(chan verifyResult, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			results <- verifyResult{err: err}
			return
		}
		id, err := v.Verify(FromHTTP(r, body))
		results <- verifyResult{id, err}
	}))
	t.Cleanup(srv.Close)
	return srv, results
}

func roundTrip(t *testing.T, req *http.Request, results <-chan verifyResult) (*Identity, error) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("Do() error = %v", err)
	}
	resp.Body.Close()
	r := <-results
	return r.id, r.err
}

func TestSDKOracle(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		path     string // escaped
		query    string
		body     string
		headers  map[string][]string
		keyID    string
		unsigned bool
		// sendRaw sends the query as written, not as the SDK rewrote it.
		sendRaw bool
	}{
		{name: "get-root", method: "GET", path: "/"},
		{name: "get-empty-path", method: "GET", path: ""},
		{name: "post-json", method: "POST", path: "/prod/items", body: `{"name":"widget","n":3}`, headers: map[string][]string{"Content-Type": {"application/json"}}},
		{name: "put-binary", method: "PUT", path: "/prod/blob", body: "\x00\x01\xff\xfe binary"},
		{name: "repeated-keys", method: "GET", path: "/prod/search", query: "b=2&a=3&a=1&a=10&c="},
		{name: "special-query", method: "GET", path: "/prod/q", query: "q=h%C3%A9llo%20w%2Brld&sym=%21%2A%27%28%29&sl=a%2Fb&tilde=~x&eq=a%3Db&amp=%26"},
		{name: "space-in-path", method: "GET", path: "/restapis/abc/stages/a%20b"},
		{name: "encoded-slash", method: "GET", path: "/prod/a%2Fb/c"},
		{name: "unicode-path", method: "GET", path: "/prod/caf%C3%A9/%E2%82%AC/%F0%9F%98%80"},
		{name: "sub-delims-path", method: "GET", path: "/prod/a:b@c!$&'()*+,;=d"},
		{name: "percent-path", method: "GET", path: "/prod/100%25"},
		{name: "session-token", method: "POST", path: "/prod/x", body: "hello", keyID: tempKeyID},
		{name: "multi-value-header", method: "GET", path: "/prod/m", headers: map[string][]string{"X-Amz-Meta-Tag": {"one", "two  spaced"}}},
		{name: "unsigned-payload", method: "POST", path: "/prod/up", body: "not hashed", unsigned: true, headers: map[string][]string{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}}},
		{name: "content-sha256-header", method: "POST", path: "/prod/h", body: "hashed", headers: map[string][]string{"X-Amz-Content-Sha256": {sha("hashed")}}},
		{name: "delete", method: "DELETE", path: "/restapis/abc/stages/dev"},
		{name: "raw-query-as-written", method: "GET", path: "/prod/r", query: "z=1&b=x+y&a=%7e&a=%2a&c&d=%e2%82%ac", sendRaw: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := sdkVerifier(signingTime.Add(2 * time.Minute))
			srv, results := verifyServer(t, v)
			u := srv.URL + tt.path
			if tt.query != "" {
				u += "?" + tt.query
			}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, u, body)
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range tt.headers {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			keyID := tt.keyID
			if keyID == "" {
				keyID = sdkKeyID
			}
			creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: sdkSecret}
			if keyID == tempKeyID {
				creds.SessionToken = tempToken
			}
			payload := sha(tt.body)
			if tt.unsigned {
				payload = "UNSIGNED-PAYLOAD"
			}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, "execute-api", "eu-west-1", signingTime); err != nil {
				t.Fatal(err)
			}
			if tt.sendRaw {
				req.URL.RawQuery = tt.query
			}
			id, err := roundTrip(t, req, results)
			if err != nil {
				t.Fatalf("Verify() error = %v (Authorization %q)", err, req.Header.Get("Authorization"))
			}
			if id.AccessKeyID != keyID || id.Service != "execute-api" || id.Region != "eu-west-1" || !id.SigningTime.Equal(signingTime) || id.Presigned {
				t.Errorf("Verify() identity = %+v", id)
			}
			if keyID == tempKeyID && id.SessionToken != tempToken {
				t.Errorf("Verify() SessionToken = %q, want %q", id.SessionToken, tempToken)
			}
		})
	}
}

func TestSDKPresigned(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		path    string
		query   string
		expires string
		keyID   string
		payload string
		now     time.Duration // after signing
		wantErr string        // error type
	}{
		{name: "get", method: "GET", path: "/prod/items", expires: "300", payload: "UNSIGNED-PAYLOAD", now: time.Minute},
		{name: "with-query", method: "GET", path: "/prod/a%20b", query: "x=1&x=0&y=%C3%A9", expires: "3600", payload: "UNSIGNED-PAYLOAD", now: 50 * time.Minute},
		{name: "empty-body-hash", method: "GET", path: "/prod/items", expires: "60", payload: sha(""), now: 0},
		{name: "session-token", method: "GET", path: "/prod/t", expires: "900", keyID: tempKeyID, payload: "UNSIGNED-PAYLOAD", now: 10 * time.Minute},
		{name: "no-expires-in-skew", method: "GET", path: "/prod/n", payload: "UNSIGNED-PAYLOAD", now: 4 * time.Minute},
		{name: "expired", method: "GET", path: "/prod/items", expires: "300", payload: "UNSIGNED-PAYLOAD", now: 301 * time.Second, wantErr: TypeAccessDenied},
		{name: "no-expires-outside-skew", method: "GET", path: "/prod/n", payload: "UNSIGNED-PAYLOAD", now: 6 * time.Minute, wantErr: TypeInvalidSignature},
		{name: "not-yet-valid", method: "GET", path: "/prod/items", expires: "300", payload: "UNSIGNED-PAYLOAD", now: -6 * time.Minute, wantErr: TypeInvalidSignature},
		{name: "expires-over-a-week", method: "GET", path: "/prod/items", expires: "604801", payload: "UNSIGNED-PAYLOAD", now: 0, wantErr: TypeIncompleteSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := sdkVerifier(signingTime.Add(tt.now))
			srv, results := verifyServer(t, v)
			u, err := url.Parse(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if tt.expires != "" {
				q.Set("X-Amz-Expires", tt.expires)
			}
			u.RawQuery = q.Encode()
			req, err := http.NewRequest(tt.method, u.String(), nil)
			if err != nil {
				t.Fatal(err)
			}
			keyID := tt.keyID
			if keyID == "" {
				keyID = sdkKeyID
			}
			creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: sdkSecret}
			if keyID == tempKeyID {
				creds.SessionToken = tempToken
			}
			signedURL, signedHeaders, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, tt.payload, "execute-api", "eu-west-1", signingTime)
			if err != nil {
				t.Fatal(err)
			}
			preq, err := http.NewRequest(tt.method, signedURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range signedHeaders {
				if strings.EqualFold(k, "Host") {
					continue
				}
				preq.Header[k] = vs
			}
			id, err := roundTrip(t, preq, results)
			if tt.wantErr != "" {
				if !isType(err, tt.wantErr) {
					t.Fatalf("Verify(%s) error = %v, want %s", signedURL, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify(%s) error = %v", signedURL, err)
			}
			if !id.Presigned || id.AccessKeyID != keyID {
				t.Errorf("Verify() identity = %+v", id)
			}
			if keyID == tempKeyID && id.SessionToken != tempToken {
				t.Errorf("Verify() SessionToken = %q, want %q", id.SessionToken, tempToken)
			}
		})
	}
}

// sdkSigned returns a request signed by the SDK, described for the verifier
// without a server (for the tamper tests).
func sdkSigned(t testing.TB, method, rawURL, body string, mutate func(*http.Request)) *Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(req)
	}
	creds := aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha(body), "execute-api", "eu-west-1", signingTime); err != nil {
		t.Fatal(err)
	}
	return FromHTTP(req, []byte(body))
}

type presignBuilder struct{ expires string }

// build presigns GET /prod/items?x=1 with the SDK and describes it for the
// verifier without a server.
func (p *presignBuilder) build(t testing.TB) *Request {
	t.Helper()
	req, err := http.NewRequest("GET", "http://abc.execute-api.localhost/prod/items?x=1&X-Amz-Expires="+p.expires, nil)
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "execute-api", "eu-west-1", signingTime)
	if err != nil {
		t.Fatal(err)
	}
	preq, err := http.NewRequest("GET", signed, nil)
	if err != nil {
		t.Fatal(err)
	}
	return FromHTTP(preq, nil)
}
