package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

const (
	testKeyID  = "AKIDTEST"
	testSecret = "test-secret-key"
)

type env struct {
	svc *Service
	srv *httptest.Server
	nc  *nats.Conn
	kv  jetstream.KeyValue
}

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	ns := natstest.Start(t)
	nc := natstest.Connect(t, ns)
	cfg := DefaultConfig()
	cfg.AccessKeyID, cfg.SecretAccessKey = testKeyID, testSecret
	cfg.EdgeURL = "http://edge.example:8080"
	for _, m := range mutate {
		m(&cfg)
	}
	svc, err := New(cfg, Deps{NATS: nc})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &env{svc: svc, srv: newServer(t, svc), nc: nc}
	st, err := svc.storeFor(context.Background())
	if err != nil {
		t.Fatalf("store: %v", err)
	}
	e.kv = st.kv
	return e
}

func newServer(t *testing.T, svc *Service) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) errorType() string { return r.header.Get("x-amzn-ErrorType") }

func (r response) message(t *testing.T) string {
	t.Helper()
	var m struct {
		Message string `json:"message"`
	}
	r.json(t, &m)
	return m.Message
}

func signRequest(t testing.TB, req *http.Request, body []byte, keyID, secret string) {
	t.Helper()
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "apigateway", "us-east-1", time.Now())
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
}

// do sends a request signed with the admin credentials.
func (e *env) do(t *testing.T, method, path string, body any) response {
	t.Helper()
	return e.doAs(t, testKeyID, testSecret, method, path, body)
}

// doYAML sends a signed GET asking for YAML.
func (e *env) doYAML(t *testing.T, path string) response {
	t.Helper()
	return e.send(t, testKeyID, testSecret, "GET", path, nil, "application/yaml")
}

func (e *env) doAs(t *testing.T, keyID, secret, method, path string, body any) response {
	t.Helper()
	return e.send(t, keyID, secret, method, path, body, "application/json")
}

func (e *env) send(t *testing.T, keyID, secret, method, path string, body any, accept string) response {
	t.Helper()
	var data []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		data = b
	case string:
		data = []byte(b)
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	if keyID != "" {
		signRequest(t, req, data, keyID, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: out}
}

func (e *env) must(t *testing.T, want int, method, path string, body any) response {
	t.Helper()
	r := e.do(t, method, path, body)
	if r.status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, r.status, r.body, want)
	}
	return r
}

// keys lists every key in the config bucket.
func (e *env) keys(t *testing.T) []string {
	t.Helper()
	kl, err := e.kv.ListKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range kl.Keys() {
		out = append(out, k)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (e *env) raw(t *testing.T, key string) (jetstream.KeyValueEntry, bool) {
	t.Helper()
	en, err := e.kv.Get(context.Background(), key)
	if err != nil {
		return nil, false
	}
	return en, true
}

func (e *env) importDoc(t *testing.T, file string) string {
	t.Helper()
	r := e.must(t, http.StatusCreated, "POST", "/restapis?mode=import", readFile(t, file))
	var a struct {
		ID string `json:"id"`
	}
	r.json(t, &a)
	if a.ID == "" {
		t.Fatalf("import returned no id: %s", r.body)
	}
	if _, ok := e.raw(t, wire.KeyRestAPI(a.ID)); !ok {
		t.Fatalf("key %s not stored", wire.KeyRestAPI(a.ID))
	}
	return a.ID
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
