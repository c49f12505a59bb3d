package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
)

// allowAll lets every request through.
type allowAll struct{}

func (allowAll) Check(context.Context, *wire.AuthzRequest) (wire.AuthzDecision, error) {
	return wire.AuthzDecision{Allow: true, PrincipalID: "user-1", Context: map[string]string{"tenant": "t1"}}, nil
}

func (allowAll) Allow(context.Context, string, float64, int64) (bool, string) { return true, "" }

func (allowAll) VerifySigV4(context.Context, *sigv4.Request, string, string) (wire.AuthzDecision, error) {
	return wire.AuthzDecision{Allow: true}, nil
}

func (allowAll) AllowQuota(context.Context, string, int64, string, int) (bool, string) {
	return true, ""
}

// harness is a running edge over a real embedded NATS server.
type harness struct {
	t    *testing.T
	nc   *nats.Conn
	kv   jetstream.KeyValue
	svc  *Service
	base string // http://127.0.0.1:port
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, allowAll{})
}

// newHarnessWith runs an edge whose authorization answers come from authz.
func newHarnessWith(t *testing.T, authz Authorizer) *harness {
	t.Helper()
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 1 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(cfg, Deps{NATS: nc, Authz: authz, Limiter: allowAll{}, Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-svc.Ready():
	case err := <-done:
		t.Fatalf("edge stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("edge not ready")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), wire.ConfigBucket)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, nc: nc, kv: kv, svc: svc, base: "http://" + ln.Addr().String()}
}

// deploy stores api as a deployment served on stage and waits until the edge serves it.
func (h *harness) deploy(api model.RestAPI, stage string, vars map[string]string) {
	h.t.Helper()
	depID := fmt.Sprintf("d%d", time.Now().UnixNano())
	dep := model.Deployment{ID: depID, APIID: api.ID, CreatedDate: time.Now().UTC(), API: api}
	st := model.Stage{APIID: api.ID, StageName: stage, DeploymentID: depID, Variables: vars,
		CreatedDate: time.Now().UTC(), LastUpdatedDate: time.Now().UTC()}
	for _, kv := range []struct {
		k string
		v any
	}{{wire.KeyDeployment(api.ID, depID), dep}, {wire.KeyStage(api.ID, stage), st}} {
		b, _ := json.Marshal(kv.v)
		if _, err := h.kv.Put(context.Background(), kv.k, b); err != nil {
			h.t.Fatal(err)
		}
	}
	natstest.Eventually(h.t, 10*time.Second, func() error {
		st := (*h.svc.tables.Load())[api.ID+"/"+stage]
		if st == nil || st.deploymentID != depID {
			return fmt.Errorf("stage %s/%s not served yet", api.ID, stage)
		}
		return nil
	})
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request to the edge; hdr is name, value pairs.
func (h *harness) do(method, path, body string, hdr ...string) response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.base+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// restPath is the path-style URL of a REST/HTTP API stage.
func restPath(apiID, stage, path string) string {
	return "/restapis/" + apiID + "/" + stage + "/_user_request_" + path
}

func restAPI(id string, resources ...model.Resource) model.RestAPI {
	return model.RestAPI{ID: id, Name: id, Resources: resources}
}

func resource(path string, methods map[string]model.Method) model.Resource {
	return model.Resource{ID: "r" + strings.ReplaceAll(path, "/", "_"), Path: path, ResourceMethods: methods}
}

func expectResp(t *testing.T, what string, got response, status int, body string) {
	t.Helper()
	if got.status != status || (body != "" && got.body != body) {
		t.Errorf("%s = %d %s, want %d %s", what, got.status, got.body, status, body)
	}
}
