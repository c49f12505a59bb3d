package admin

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

func TestBadInputStoresNothing(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 64 << 10 })
	id := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, id, "prod")
	var api restAPIView
	e.must(t, http.StatusOK, "GET", "/restapis/"+id, nil).json(t, &api)
	before := e.keys(t)

	huge := "openapi: 3.0.1\ninfo: {title: big}\npaths: {}\n#" + strings.Repeat("x", 65<<10)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		errType            string
		msg                string
	}{
		{"not a document", "POST", "/restapis?mode=import", "{{{ not yaml: [", 400, "BadRequestException", "invalid API definition"},
		{"no version marker", "POST", "/restapis?mode=import", `{"info":{"title":"x"},"paths":{}}`, 400, "BadRequestException", "openapi"},
		{"no title", "POST", "/restapis?mode=import", "openapi: 3.0.1\ninfo: {version: '1'}\npaths: {}\n", 400, "BadRequestException", "title"},
		{"unknown integration type", "POST", "/restapis?mode=import", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n      x-amazon-apigateway-integration: {type: carrier_pigeon, uri: x}\n", 400, "BadRequestException", "carrier_pigeon"},
		{"timeout out of range", "POST", "/restapis?mode=import", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n      x-amazon-apigateway-integration: {type: nats_proxy, uri: x, timeoutInMillis: 10}\n", 400, "BadRequestException", "timeoutInMillis"},
		{"undefined security scheme", "POST", "/restapis?mode=import", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      security: [{nope: []}]\n      responses: {'200': {description: ok}}\n", 400, "BadRequestException", "nope"},
		{"bad path segment", "POST", "/restapis?mode=import", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a//b:\n    get:\n      responses: {'200': {description: ok}}\n", 400, "BadRequestException", "segment"},
		{"put malformed", "PUT", "/restapis/" + id + "?mode=overwrite", "swagger: '2.0'\ninfo: 7\n", 400, "BadRequestException", "swagger"},
		{"oversized body", "POST", "/restapis?mode=import", huge, 413, "PayloadTooLargeException", "too large"},
		{"create without name", "POST", "/restapis", map[string]any{"description": "x"}, 400, "BadRequestException", "name"},
		{"bad json", "POST", "/restapis", "{", 400, "BadRequestException", "Invalid request body"},
		{"unknown api", "GET", "/restapis/nosuchapi1", nil, 404, "NotFoundException", "Invalid API identifier"},
		{"api id with key wildcards", "GET", "/restapis/a*b", nil, 404, "NotFoundException", "Invalid API identifier"},
		{"api id with key separator", "GET", "/restapis/a.b/resources", nil, 404, "NotFoundException", "Invalid API identifier"},
		{"stage with wildcard", "GET", "/restapis/" + id + "/stages/%3E", nil, 404, "NotFoundException", "stage"},
		{"unknown api resources", "GET", "/restapis/nosuchapi1/resources", nil, 404, "NotFoundException", "Invalid API identifier"},
		{"unknown resource", "GET", "/restapis/" + id + "/resources/nosuchres1", nil, 404, "NotFoundException", "Resource"},
		{"unknown method", "GET", "/restapis/" + id + "/resources/" + api.RootResourceID + "/methods/GET", nil, 404, "NotFoundException", "Method"},
		{"no integration", "GET", "/restapis/" + id + "/resources/" + api.RootResourceID + "/methods/GET/integration", nil, 404, "NotFoundException", "Method"},
		{"unknown deployment", "GET", "/restapis/" + id + "/deployments/nosuchdep1", nil, 404, "NotFoundException", "Deployment"},
		{"unknown stage", "GET", "/restapis/" + id + "/stages/nostage", nil, 404, "NotFoundException", "stage"},
		{"stage with bad deployment", "POST", "/restapis/" + id + "/stages", map[string]any{"stageName": "x", "deploymentId": "nosuchdep1"}, 400, "BadRequestException", "deployment"},
		{"bad stage name", "POST", "/restapis/" + id + "/deployments", map[string]any{"stageName": "a.b"}, 400, "BadRequestException", "Stage name"},
		{"deploy unknown api", "POST", "/restapis/nosuchapi1/deployments", map[string]any{"stageName": "x"}, 404, "NotFoundException", "API"},
		{"unknown api key", "GET", "/apikeys/nosuchkey1", nil, 404, "NotFoundException", "API Key"},
		{"delete unknown api key", "DELETE", "/apikeys/nosuchkey1", nil, 404, "NotFoundException", "API Key"},
		{"delete unknown stage", "DELETE", "/restapis/" + id + "/stages/nostage", nil, 404, "NotFoundException", "stage"},
		{"too many patch ops", "PATCH", "/restapis/" + id + "/stages/prod", map[string]any{"patchOperations": make([]patchOp, maxPatchOps+1)}, 400, "BadRequestException", "too many"},
		{"unknown operation", "GET", "/nothing/here", nil, 404, "UnknownOperationException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, tc.body)
			if r.status != tc.status || r.errorType() != tc.errType {
				t.Fatalf("%s %s = %d %q %s, want %d %s", tc.method, tc.path, r.status, r.errorType(), r.body, tc.status, tc.errType)
			}
			if !strings.Contains(strings.ToLower(r.message(t)), strings.ToLower(tc.msg)) {
				t.Errorf("message %q does not contain %q", r.message(t), tc.msg)
			}
		})
	}
	after := e.keys(t)
	if strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("bad requests changed the bucket: %v -> %v", before, after)
	}
	if en, _ := e.raw(t, wire.KeyRestAPI(id)); en.Revision() != 1 {
		t.Errorf("api definition rewritten (revision %d)", en.Revision())
	}
}

func TestAuthRequired(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, keyID, secret string
	}{
		{"unsigned", "", ""},
		{"wrong secret", testKeyID, "not-the-secret"},
		{"unknown key id", "AKIDOTHER", testSecret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.doAs(t, tc.keyID, tc.secret, "POST", "/restapis", map[string]any{"name": "x"})
			if r.status != http.StatusForbidden {
				t.Fatalf("status = %d %s, want 403", r.status, r.body)
			}
			if r.errorType() == "" || r.message(t) == "" {
				t.Errorf("not an AWS-shaped error: header %q body %s", r.errorType(), r.body)
			}
		})
	}
	if keys := e.keys(t); len(keys) != 0 {
		t.Errorf("unauthenticated requests stored %v", keys)
	}
	// A body changed after signing does not verify.
	req, _ := http.NewRequest("POST", e.srv.URL+"/restapis", strings.NewReader(`{"name":"a"}`))
	signRequest(t, req, []byte(`{"name":"b"}`), testKeyID, testSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered body = %d, want 403", resp.StatusCode)
	}
}

func TestInfo(t *testing.T) {
	e := newEnv(t)
	var info map[string]string
	e.must(t, http.StatusOK, "GET", "/portico/info", nil).json(t, &info)
	if info["edgeUrl"] != "http://edge.example:8080" || info["version"] == "" {
		t.Errorf("info = %v", info)
	}
}

func TestConnectionsForwarding(t *testing.T) {
	e := newEnv(t)
	// No connections service on the bus: 503 at once.
	r := e.do(t, "POST", "/@connections/abc", "hi")
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("no responders = %d %s, want 503", r.status, r.body)
	}

	got := make(chan wire.ManageRequest, 8)
	sub, err := e.nc.Subscribe(wire.SubjectConnManage, func(m *nats.Msg) {
		var req wire.ManageRequest
		_ = wire.Unmarshal(m.Data, &req)
		got <- req
		resp := wire.ManageResponse{}
		switch {
		case req.ConnectionID == "gone":
			resp.Code = wire.CodeGone
		case req.Op == wire.ManageGet:
			resp.Connection = &wire.ConnectionInfo{ConnectedAt: "2026-01-01T00:00:00Z", LastActiveAt: "2026-01-01T00:00:01Z", Identity: wire.ConnIdentity{SourceIP: "10.0.0.1"}}
		}
		b, _ := wire.Marshal(resp)
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}

	e.must(t, http.StatusOK, "POST", "/@connections/c1", "hello")
	if req := <-got; req.Op != wire.ManagePost || req.ConnectionID != "c1" || string(req.Data) != "hello" {
		t.Errorf("forwarded %+v", req)
	}
	var info wire.ConnectionInfo
	e.must(t, http.StatusOK, "GET", "/@connections/c1", nil).json(t, &info)
	if info.Identity.SourceIP != "10.0.0.1" {
		t.Errorf("get-connection = %+v", info)
	}
	<-got
	e.must(t, http.StatusNoContent, "DELETE", "/@connections/c1", nil)
	if req := <-got; req.Op != wire.ManageDelete {
		t.Errorf("forwarded %+v", req)
	}
	r = e.do(t, "POST", "/@connections/gone", "x")
	if r.status != http.StatusGone || r.errorType() != "GoneException" {
		t.Errorf("gone = %d %q %s", r.status, r.errorType(), r.body)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err == nil {
		t.Error("default config without credentials validated")
	}
	c := DefaultConfig()
	c.Addr, c.EdgeURL, c.KVReplicas, c.MaxBodyBytes = "nope", "not a url", 0, 1
	err := c.Validate()
	if err == nil {
		t.Fatal("bad config validated")
	}
	for _, want := range []string{"addr", "edge_url", "access_key_id", "secret_access_key", "kv_replicas", "max_body_bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, does not name %s", err, want)
		}
	}
	if _, err := New(c, Deps{}); err == nil {
		t.Error("New accepted a bad config")
	}
}

func TestRunServesAndDrains(t *testing.T) {
	e := newEnv(t)
	cfg := e.svc.cfg
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = l.Addr().String()
	l.Close()
	svc, err := New(cfg, Deps{NATS: e.nc, Metrics: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	// Run binds the bucket e already created, then serves (and still demands a signature).
	natstest.Eventually(t, 5*time.Second, func() error {
		resp, err := http.Get("http://" + cfg.Addr + "/portico/info")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			return fmt.Errorf("unsigned GET = %d, want 403", resp.StatusCode)
		}
		return nil
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after a clean drain", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
