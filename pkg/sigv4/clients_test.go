package sigv4_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/portico/portico/pkg/sigv4"
)

// These tests drive real third-party signers — curl --aws-sigv4 and botocore's SigV4Auth
// (Debian's awscli ships botocore) — against a loopback server that verifies with this
// package. Locally a missing tool skips with a message; under CI=true it fails.

const (
	clientKey    = "AKIACLIENTTEST000001"
	clientSecret = "client/Secret+Key000000000000000000000000"
	tempKey      = "ASIACLIENTTEST000002"
	tempToken    = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH+MEUCIQ="
)

func requireTool(t *testing.T, name string, args ...string) {
	t.Helper()
	err := exec.Command(name, args...).Run()
	if err == nil {
		return
	}
	msg := name + " " + strings.Join(args, " ") + ": " + err.Error() +
		" (install curl and awscli/python3-botocore: apt-get install -y curl awscli)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// clientServer verifies every request and answers 200 "ok <key id>" or the error's status
// with its AWS error type.
func clientServer(t *testing.T) *httptest.Server {
	t.Helper()
	v := &sigv4.Verifier{
		Service: "execute-api",
		Region:  "us-east-1",
		Lookup: func(id string) (sigv4.Credentials, bool) {
			switch id {
			case clientKey:
				return sigv4.Credentials{AccessKeyID: id, SecretAccessKey: clientSecret}, true
			case tempKey:
				return sigv4.Credentials{AccessKeyID: id, SecretAccessKey: clientSecret, SessionToken: tempToken}, true
			}
			return sigv4.Credentials{}, false
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id, err := v.Verify(sigv4.FromHTTP(r, body))
		if err != nil {
			var se *sigv4.Error
			if errors.As(err, &se) {
				http.Error(w, se.Type, se.Status)
				return
			}
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok "+id.AccessKeyID+" "+string(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestCurlSigV4(t *testing.T) {
	requireTool(t, "curl", "--version")
	srv := clientServer(t)
	// curl 7.x signs the query as sent (unsorted) and the path encoded once, as S3 does;
	// AWS refuses both for execute-api, and so does the verifier (curl 8 signs AWS's form).
	quirky := "200"
	if strings.HasPrefix(run(t, "curl", "--version"), "curl 7.") {
		quirky = "403"
	}
	curl := func(user, method, path, body string) string {
		args := []string{"-sS", "-w", "\n%{http_code}", "--aws-sigv4", "aws:amz:us-east-1:execute-api", "--user", user}
		if method != "GET" {
			args = append(args, "-X", method, "-H", "Content-Type: application/json", "--data-binary", body)
		}
		return run(t, "curl", append(args, srv.URL+path)...)
	}
	tests := []struct {
		name, user, method, path, body string
		wantPrefix, wantStatus         string
	}{
		{"get", clientKey + ":" + clientSecret, "GET", "/prod/pets", "", "ok " + clientKey, "200"},
		{"get with sorted query", clientKey + ":" + clientSecret, "GET", "/prod/pets?a=1&b=2&x=a%20b", "", "ok " + clientKey, "200"},
		{"get with unsorted query", clientKey + ":" + clientSecret, "GET", "/prod/pets?b=2&a=1", "", "", quirky},
		{"get encoded path", clientKey + ":" + clientSecret, "GET", "/prod/pets/a%20b", "", "", quirky},
		{"post with body", clientKey + ":" + clientSecret, "POST", "/prod/pets", `{"name":"rex","tags":["a b"]}`, "ok " + clientKey + ` {"name":"rex"`, "200"},
		{"put with body", clientKey + ":" + clientSecret, "PUT", "/prod/pets/1", `x=1&y=2`, "ok " + clientKey, "200"},
		{"wrong secret", clientKey + ":wrong", "GET", "/prod/pets", "", sigv4.TypeInvalidSignature, "403"},
		{"unknown key", "AKIANOBODY0000000001:" + clientSecret, "GET", "/prod/pets", "", sigv4.TypeUnrecognizedClient, "403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := curl(tt.user, tt.method, tt.path, tt.body)
			body, status, _ := strings.Cut(out, "\n")
			if i := strings.LastIndexByte(out, '\n'); i >= 0 {
				body, status = out[:i], out[i+1:]
			}
			if status != tt.wantStatus || !strings.HasPrefix(body, tt.wantPrefix) {
				t.Errorf("curl %s %s = %s %q, want %s %q…", tt.method, tt.path, status, body, tt.wantStatus, tt.wantPrefix)
			}
		})
	}
}

// botocoreScript signs with botocore's SigV4Auth and sends with urllib; it prints the status
// and the body.
const botocoreScript = `
import sys, urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
method, url, body, ak, sk, token = sys.argv[1:7]
headers = {"Content-Type": "application/json"} if body else {}
req = AWSRequest(method=method, url=url, data=body.encode() if body else None, headers=headers)
SigV4Auth(Credentials(ak, sk, token or None), "execute-api", "us-east-1").add_auth(req)
p = req.prepare()
r = urllib.request.Request(p.url, data=p.body, method=method, headers=dict(p.headers.items()))
try:
    resp = urllib.request.urlopen(r)
    print(resp.status, resp.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().strip())
`

func TestBotocoreSigV4(t *testing.T) {
	requireTool(t, "python3", "-c", "import botocore.auth, botocore.awsrequest, botocore.credentials")
	srv := clientServer(t)
	tests := []struct {
		name, method, path, body, key, secret, token string
		want                                         string
	}{
		{"get", "GET", "/prod/pets", "", clientKey, clientSecret, "", "200 ok " + clientKey},
		{"get with query", "GET", "/prod/pets?b=2&a=1&x=a%20b&empty=", "", clientKey, clientSecret, "", "200 ok " + clientKey},
		{"post with body", "POST", "/prod/pets", `{"name":"rex"}`, clientKey, clientSecret, "", "200 ok " + clientKey + ` {"name":"rex"}`},
		{"delete", "DELETE", "/prod/pets/7", "", clientKey, clientSecret, "", "200 ok " + clientKey},
		{"session token", "POST", "/prod/pets", `{}`, tempKey, clientSecret, tempToken, "200 ok " + tempKey},
		{"session token missing", "GET", "/prod/pets", "", tempKey, clientSecret, "", "403 " + sigv4.TypeUnrecognizedClient},
		{"wrong secret", "POST", "/prod/pets", `{}`, clientKey, "wrong", "", "403 " + sigv4.TypeInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := run(t, "python3", "-c", botocoreScript, tt.method, srv.URL+tt.path, tt.body, tt.key, tt.secret, tt.token)
			if !strings.HasPrefix(out, tt.want) {
				t.Errorf("botocore %s %s = %q, want %q…", tt.method, tt.path, out, tt.want)
			}
		})
	}
}
