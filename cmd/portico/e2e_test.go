package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/examples/petstore"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/redistest"
	"github.com/portico/portico/pkg/wire"
)

// gateway is one `portico serve` running in-process for a test.
type gateway struct {
	opts   serveOptions
	cancel context.CancelFunc
	done   chan error
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs serve with o, fills in free addresses, and waits until the edge answers.
func startServe(t *testing.T, o serveOptions) *gateway {
	t.Helper()
	if o.httpAddr == "" {
		o.httpAddr = freeAddr(t)
	}
	if o.adminAddr == "" {
		o.adminAddr = freeAddr(t)
	}
	if o.natsAddr == "" {
		o.natsAddr = freeAddr(t)
	}
	if o.dataDir == "" {
		o.dataDir = t.TempDir()
	}
	if o.services == "" {
		o.services = strings.Join(allRoles, ",")
	}
	o.logLevel = "error"
	ctx, cancel := context.WithCancel(context.Background())
	g := &gateway{opts: o, cancel: cancel, done: make(chan error, 1)}
	go func() { g.done <- serve(ctx, o) }()
	t.Cleanup(func() { g.stop(t) })
	natstest.Eventually(t, 20*time.Second, func() error {
		select {
		case err := <-g.done:
			t.Fatalf("serve exited early: %v", err)
		default:
		}
		urls := []string{"http://" + o.httpAddr + "/@portico/health"}
		if strings.Contains(o.services, "admin") {
			urls = append(urls, "http://"+o.adminAddr+"/portico/info")
		}
		for _, u := range urls {
			resp, err := http.Get(u)
			if err != nil {
				return err
			}
			resp.Body.Close()
		}
		return nil
	})
	return g
}

func (g *gateway) stop(t *testing.T) {
	if g.cancel == nil {
		return
	}
	g.cancel()
	g.cancel = nil
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("serve returned %v after drain, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("serve did not stop within 30s")
	}
}

func (g *gateway) natsURL() string { return "nats://" + g.opts.natsAddr }

// cli runs a portico verb in-process on a fresh command tree and returns what it printed.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	cmds := map[string]func() *cobra.Command{"import": newImportCmd, "apikey": newAPIKeyCmd, "deploy": newDeployCmd, "export": newExportCmd, "iam": newIAMCmd, "backends": newBackendsCmd}
	mk, ok := cmds[args[0]]
	if !ok {
		t.Fatalf("cli: unknown verb %q", args[0])
	}
	out, err := runCLI(t, mk(), args...)
	if err != nil {
		t.Fatalf("portico %v: %v\n%s", args, err, out)
	}
	return out
}

func importAPI(t *testing.T, g *gateway, doc string, args ...string) importResult {
	t.Helper()
	file := t.TempDir() + "/api.yaml"
	if err := writeFile(file, doc); err != nil {
		t.Fatal(err)
	}
	out := cli(t, append([]string{"import", file, "--admin", "http://" + g.opts.adminAddr, "-o", "json"}, args...)...)
	var r importResult
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &r); err != nil {
		t.Fatalf("import printed %q: %v", out, err)
	}
	waitServed(t, g, r.APIID, r.Stage)
	return r
}

// waitServed polls the edge's /@portico/stages until it serves the stage's current deployment.
func waitServed(t *testing.T, g *gateway, apiID, stage string) {
	t.Helper()
	want := currentDeployment(t, g, apiID, stage)
	natstest.Eventually(t, 10*time.Second, func() error {
		r := do(t, "GET", "http://"+g.opts.httpAddr+"/@portico/stages", "")
		var served []struct{ APIID, Stage, DeploymentID string }
		if err := json.Unmarshal([]byte(r.body), &served); err != nil {
			return fmt.Errorf("/@portico/stages = %d %s", r.status, r.body)
		}
		for _, s := range served {
			if s.APIID == apiID && s.Stage == stage && s.DeploymentID == want {
				return nil
			}
		}
		return fmt.Errorf("edge does not serve %s/%s deployment %s yet: %s", apiID, stage, want, r.body)
	})
}

// currentDeployment reads the stage's deployment id from the config bucket.
func currentDeployment(t *testing.T, g *gateway, apiID, stage string) string {
	t.Helper()
	nc := natstest.ConnectURL(t, g.natsURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), wire.ConfigBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(context.Background(), wire.KeyStage(apiID, stage))
	if err != nil {
		t.Fatalf("stage %s/%s: %v", apiID, stage, err)
	}
	var st model.Stage
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		t.Fatal(err)
	}
	return st.DeploymentID
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, body string, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

// signedDo is do SigV4-signed with the admin credentials for execute-api, as the AWS CLI signs
// apigatewaymanagementapi calls.
func signedDo(t *testing.T, method, url, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), adminCredentials(), req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func expect(t *testing.T, what string, got response, status int, body string) {
	t.Helper()
	if got.status != status || (body != "" && got.body != body) {
		t.Errorf("%s = %d %s, want %d %s", what, got.status, got.body, status, body)
	}
}

const e2eAPI = `openapi: 3.0.1
info: {title: e2e, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: petstore.pets.list}
    post:
      security: [{api_key: []}]
      x-amazon-apigateway-integration: {type: nats_proxy, uri: petstore.pets.create}
  /pets/{petId}:
    get:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: petstore.pets.get}
  /files/{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: petstore.echo}
  /nobody:
    get:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: e2e.nobody.listens}
  /slow:
    get:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: e2e.slow, timeoutInMillis: 200}
  /version:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"version":"%s"}'}}}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
`

func TestEndToEnd(t *testing.T) {
	_, _ = redistest.Client(t) // a real Redis must answer (fails under CI=true, else skips)
	g := startServe(t, serveOptions{redisURL: redistest.URL()})
	nc := natstest.ConnectURL(t, g.natsURL())
	svc, err := petstore.Serve(nc, petstore.NewStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	slow, err := nc.Subscribe("e2e.slow", func(m *nats.Msg) {
		time.Sleep(time.Second) // slower than the route's 200 ms integration timeout
		_ = m.Respond([]byte("late"))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = slow.Unsubscribe() })

	imp := importAPI(t, g, fmt.Sprintf(e2eAPI, "one"), "--stage", "prod")
	if imp.APIID == "" || imp.Stage != "prod" || imp.InvokeURL != "http://"+g.opts.httpAddr+"/restapis/"+imp.APIID+"/prod/_user_request_" {
		t.Fatalf("import = %+v", imp)
	}
	base := imp.InvokeURL

	t.Run("routed", func(t *testing.T) {
		r := do(t, "GET", base+"/pets", "")
		if r.status != 200 || !strings.Contains(r.body, `"type":"dog"`) || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("GET /pets = %d %q %v", r.status, r.body, r.header)
		}
		if r.header.Get("x-amzn-RequestId") == "" {
			t.Errorf("GET /pets: no x-amzn-RequestId header")
		}
	})
	t.Run("host style", func(t *testing.T) {
		r := do(t, "GET", "http://"+g.opts.httpAddr+"/prod/pets/2", "", "Host", imp.APIID+".execute-api.localhost")
		expect(t, "GET host-style /pets/2", r, 200, `{"id":2,"type":"cat","price":124.99}`)
	})
	t.Run("path parameter", func(t *testing.T) {
		expect(t, "GET /pets/1", do(t, "GET", base+"/pets/1", ""), 200, `{"id":1,"type":"dog","price":249.99}`)
		expect(t, "GET /pets/99", do(t, "GET", base+"/pets/99", ""), 404, `{"message":"pet not found"}`)
	})
	t.Run("greedy proxy", func(t *testing.T) {
		r := do(t, "PUT", base+"/files/a/b%20c/d.txt?x=1", "hello")
		if r.status != 200 || r.body != "hello" || r.header.Get("X-Echo-Proxy") != "a/b c/d.txt" || r.header.Get("X-Echo-Path") != "/files/a/b%20c/d.txt" {
			t.Errorf("PUT /files/... = %d %q proxy=%q path=%q", r.status, r.body, r.header.Get("X-Echo-Proxy"), r.header.Get("X-Echo-Path"))
		}
	})
	t.Run("miss", func(t *testing.T) {
		r := do(t, "GET", base+"/nothing/here", "")
		expect(t, "GET /nothing/here", r, 403, `{"message":"Missing Authentication Token"}`)
		if r.header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
			t.Errorf("miss x-amzn-ErrorType = %q", r.header.Get("x-amzn-ErrorType"))
		}
		expect(t, "DELETE /pets", do(t, "DELETE", base+"/pets", ""), 403, `{"message":"Missing Authentication Token"}`)
		expect(t, "unknown stage", do(t, "GET", "http://"+g.opts.httpAddr+"/restapis/"+imp.APIID+"/nostage/_user_request_/pets", ""), 403, `{"message":"Missing Authentication Token"}`)
	})
	t.Run("no responders", func(t *testing.T) {
		expect(t, "GET /nobody", do(t, "GET", base+"/nobody", ""), 503, "")
	})
	t.Run("integration timeout", func(t *testing.T) {
		expect(t, "GET /slow", do(t, "GET", base+"/slow", ""), 504, `{"message":"Endpoint request timed out"}`)
	})
	t.Run("api key", func(t *testing.T) {
		expect(t, "POST /pets without key", do(t, "POST", base+"/pets", `{"type":"bird"}`), 403, `{"message":"Forbidden"}`)
		expect(t, "POST /pets bad key", do(t, "POST", base+"/pets", `{"type":"bird"}`, "x-api-key", "not-a-key"), 403, `{"message":"Forbidden"}`)
		var key struct{ ID, Value string }
		out := cli(t, "apikey", "create", "--api", imp.APIID, "--stage", "prod", "--admin", "http://"+g.opts.adminAddr, "-o", "json")
		if err := json.Unmarshal([]byte(out), &key); err != nil || key.ID == "" || key.Value == "" {
			t.Fatalf("apikey create printed %q (%v)", out, err)
		}
		r := do(t, "POST", base+"/pets", `{"type":"bird","price":3}`, "x-api-key", key.Value)
		if r.status != 201 || !strings.Contains(r.body, `"type":"bird"`) {
			t.Errorf("POST /pets with key = %d %s", r.status, r.body)
		}
	})
	t.Run("throttle", func(t *testing.T) {
		th := importAPI(t, g, fmt.Sprintf(e2eAPI, "t"), "--stage", "limited", "--throttle-rate", "1", "--throttle-burst", "2")
		var ok, throttled int
		start := time.Now()
		for range 8 {
			r := do(t, "GET", th.InvokeURL+"/pets/1", "")
			switch {
			case r.status == 200:
				ok++
			case r.status == 429 && r.body == `{"message":"Too Many Requests"}`:
				throttled++
			default:
				t.Errorf("throttled GET = %d %s", r.status, r.body)
			}
		}
		// burst 2 plus the tokens refilled while the loop ran (1/s), never more
		if most := 2 + int(time.Since(start).Seconds()) + 1; ok < 2 || ok > most || (throttled == 0 && most < 8) {
			t.Errorf("8 requests at rate 1 burst 2: %d admitted (at most %d), %d throttled", ok, most, throttled)
		}
		rc, prefix := redistest.Client(t)
		_ = prefix
		keys, err := rc.Keys(context.Background(), "*"+th.APIID+"*").Result()
		if err != nil || len(keys) == 0 {
			t.Errorf("no Redis key for the throttled stage (keys %v, err %v)", keys, err)
		}
	})
	t.Run("redeploy live", func(t *testing.T) {
		expect(t, "GET /version", do(t, "GET", base+"/version", ""), 200, `{"version":"one"}`)
		importAPI(t, g, fmt.Sprintf(e2eAPI, "two"), "--stage", "prod", "--api", imp.APIID)
		natstest.Eventually(t, 5*time.Second, func() error {
			if r := do(t, "GET", base+"/version", ""); r.body != `{"version":"two"}` {
				return fmt.Errorf("GET /version = %s", r.body)
			}
			return nil
		})
	})
}

// deployWebSocketAPI stores a WebSocket API with a $default route to subject, deployed to stage,
// the way admin stores deployments.
func deployWebSocketAPI(t *testing.T, nc *nats.Conn, apiID, stage, subject string) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, wire.ConfigBucket)
	if err != nil {
		t.Fatal(err)
	}
	api := model.RestAPI{ID: apiID, Name: "ws", Protocol: model.ProtocolWebSocket, RouteSelectionExpression: "$request.body.action",
		Routes: []model.Route{{ID: "r1", RouteKey: "$default", RouteResponses: []model.RouteResponse{{ID: "rr", RouteResponseKey: "$default"}}, Integration: &model.Integration{Type: model.IntegrationNATSProxy, URI: subject}}}}
	dep := model.Deployment{ID: "d1", APIID: apiID, CreatedDate: time.Now().UTC(), API: api}
	st := model.Stage{APIID: apiID, StageName: stage, DeploymentID: dep.ID, CreatedDate: time.Now().UTC(), LastUpdatedDate: time.Now().UTC()}
	// the deployment first, then the stage that points at it, as admin writes them
	for _, kvp := range []struct {
		key string
		v   any
	}{{wire.KeyDeployment(apiID, dep.ID), dep}, {wire.KeyStage(apiID, stage), st}} {
		b, _ := json.Marshal(kvp.v)
		if _, err := kv.Put(ctx, kvp.key, b); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWebSocketAcrossEdges(t *testing.T) {
	g := startServe(t, serveOptions{})
	nc := natstest.ConnectURL(t, g.natsURL())
	var mu sync.Mutex
	var connID string
	sub, err := nc.Subscribe("e2e.ws.default", func(m *nats.Msg) {
		mu.Lock()
		connID = m.Header.Get(wire.HeaderConnectionID)
		mu.Unlock()
		_ = m.Respond(append([]byte("echo:"), m.Data...))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	deployWebSocketAPI(t, nc, "wsapi00001", "live", "e2e.ws.default")
	// a second edge, in its own process role set, on the same bus
	b := startServe(t, serveOptions{services: "edge", natsURL: g.natsURL()})

	url := "ws://" + g.opts.httpAddr + "/restapis/wsapi00001/live/_user_request_/"
	var c *websocket.Conn
	natstest.Eventually(t, 5*time.Second, func() error {
		var err error
		var resp *http.Response
		c, resp, err = websocket.DefaultDialer.Dial(url, nil)
		if err != nil && resp != nil {
			b, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("%w: %d %s", err, resp.StatusCode, b)
		}
		return err
	})
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := c.ReadMessage()
	if err != nil || string(msg) != "echo:hello" {
		t.Fatalf("round trip = %q, %v; want echo:hello", msg, err)
	}
	mu.Lock()
	id := connID
	mu.Unlock()
	if id == "" {
		t.Fatal("backend saw no connection id")
	}

	// admin shows the registry's count
	ac, err := newAdminClient("http://" + g.opts.adminAddr)
	if err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 5*time.Second, func() error {
		var n struct{ Count int }
		if err := ac.doJSON(context.Background(), "GET", "/portico/connections?apiId=wsapi00001&stage=live", nil, &n); err != nil || n.Count != 1 {
			return fmt.Errorf("connection count = %d, %v; want 1", n.Count, err)
		}
		return nil
	})

	post := "http://" + b.opts.httpAddr + "/restapis/wsapi00001/live/_user_request_/@connections/"
	natstest.Eventually(t, 5*time.Second, func() error {
		if r := do(t, "POST", post+id, "pushed from edge B"); r.status != 403 {
			return fmt.Errorf("unsigned POST @connections on edge B = %d %s, want 403", r.status, r.body)
		}
		if r := signedDo(t, "POST", post+id, "pushed from edge B"); r.status != 200 {
			return fmt.Errorf("POST @connections on edge B = %d %s", r.status, r.body)
		}
		return nil
	})
	_, msg, err = c.ReadMessage()
	if err != nil || string(msg) != "pushed from edge B" {
		t.Fatalf("pushed message = %q, %v", msg, err)
	}
	r := signedDo(t, "POST", post+"AAAAAAAAAAAAAAAA", "x")
	if r.status != 410 {
		t.Errorf("POST @connections unknown id = %d %s, want 410", r.status, r.body)
	}
}

var _ = trace.SpanKindServer
var _ sync.Mutex
var _ atomic.Int64
var _ = websocket.TextMessage
var _ = wire.SubjectConnManage

// TestThrottleLevels: the account limit applies to every stage; a method's own setting
// overrides the stage default for that method only.
func TestThrottleLevels(t *testing.T) {
	g := startServe(t, serveOptions{accountRate: 1, accountBurst: 3})
	nc := natstest.ConnectURL(t, g.natsURL())
	svc, err := petstore.Serve(nc, petstore.NewStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	count := func(url string, n int) (ok, throttled int) {
		for range n {
			switch r := do(t, "GET", url, ""); {
			case r.status == 200:
				ok++
			case r.status == 429 && r.body == `{"message":"Too Many Requests"}`:
				throttled++
			default:
				t.Errorf("GET %s = %d %s", url, r.status, r.body)
			}
		}
		return ok, throttled
	}
	a := importAPI(t, g, fmt.Sprintf(e2eAPI, "a"), "--stage", "one")
	b := importAPI(t, g, fmt.Sprintf(e2eAPI, "b"), "--stage", "two")
	start := time.Now()
	okA, _ := count(a.InvokeURL+"/pets/1", 3)
	okB, thB := count(b.InvokeURL+"/pets/1", 3)
	// burst 3 shared by both APIs, plus the tokens refilled meanwhile (1/s)
	most := 3 + int(time.Since(start).Seconds()) + 1
	if okA+okB < 3 || okA+okB > most || (thB == 0 && most < 6) {
		t.Errorf("account limit 1/s burst 3: %d+%d admitted, %d throttled on the second API", okA, okB, thB)
	}

	g2 := startServe(t, serveOptions{})
	nc2 := natstest.ConnectURL(t, g2.natsURL())
	svc2, err := petstore.Serve(nc2, petstore.NewStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc2.Stop() })
	m := importAPI(t, g2, fmt.Sprintf(e2eAPI, "m"), "--stage", "s", "--throttle-rate", "1000", "--throttle-burst", "1000")
	ac, err := newAdminClient("http://" + g2.opts.adminAddr)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string][]patchOperation{"patchOperations": {
		{Op: "replace", Path: "/~1pets~1{petId}/GET/throttling/rateLimit", Value: "1"},
		{Op: "replace", Path: "/~1pets~1{petId}/GET/throttling/burstLimit", Value: "2"},
	}}
	if err := ac.doJSON(context.Background(), "PATCH", "/restapis/"+m.APIID+"/stages/s", ops, nil); err != nil {
		t.Fatalf("update-stage: %v", err)
	}
	natstest.Eventually(t, 5*time.Second, func() error {
		// the method limit is live once its burst runs out
		if _, th := count(m.InvokeURL+"/pets/1", 3); th == 0 {
			return fmt.Errorf("GET /pets/1 not throttled yet")
		}
		return nil
	})
	if ok, th := count(m.InvokeURL+"/pets", 5); ok != 5 || th != 0 {
		t.Errorf("GET /pets under the stage default 1000/s: %d ok, %d throttled", ok, th)
	}
}
