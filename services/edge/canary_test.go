package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// TestCanarySplit: a canary at 25% takes 25% ± 5% of 2,000 requests, and serves its own
// deployment with its stage-variable overrides.
func TestCanarySplit(t *testing.T) {
	h := newHarness(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.URL.Path)
	}))
	defer backend.Close()
	api := func(version string) model.RestAPI {
		return restAPI("canary0001", resource("/v", map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
			MethodIntegration: &model.Integration{Type: model.IntegrationHTTPProxy, HTTPMethod: "GET",
				URI: backend.URL + "/" + version + "/${stageVariables.color}"}}}))
	}
	put := func(key string, v any) {
		b, _ := json.Marshal(v)
		if _, err := h.kv.Put(context.Background(), key, b); err != nil {
			t.Fatal(err)
		}
	}
	put(wire.KeyDeployment("canary0001", "base"), model.Deployment{ID: "base", APIID: "canary0001", API: api("base")})
	put(wire.KeyDeployment("canary0001", "next"), model.Deployment{ID: "next", APIID: "canary0001", API: api("next")})
	put(wire.KeyStage("canary0001", "prod"), model.Stage{APIID: "canary0001", StageName: "prod", DeploymentID: "base",
		Variables:      map[string]string{"color": "green"},
		CanarySettings: &model.CanarySettings{PercentTraffic: 25, DeploymentID: "next", StageVariableOverrides: map[string]string{"color": "blue"}}})
	natstest.Eventually(t, 10*time.Second, func() error {
		st := (*h.svc.tables.Load())["canary0001/prod"]
		if st == nil || st.canary == nil {
			return fmt.Errorf("canary not served yet")
		}
		return nil
	})
	counts := map[string]int{}
	const n = 2000
	for range n {
		r := h.do("GET", restPath("canary0001", "prod", "/v"), "")
		if r.status != 200 {
			t.Fatalf("GET /v = %d %s", r.status, r.body)
		}
		counts[r.body]++
	}
	if counts["/base/green"]+counts["/next/blue"] != n {
		t.Fatalf("answers %v: want only /base/green and /next/blue", counts)
	}
	if c := counts["/next/blue"]; c < n*20/100 || c > n*30/100 {
		t.Errorf("canary took %d of %d requests (%.1f%%), want 25%% ± 5%%", c, n, float64(c)*100/n)
	}
	// promoting: the stage points at the canary's deployment and drops canarySettings
	put(wire.KeyStage("canary0001", "prod"), model.Stage{APIID: "canary0001", StageName: "prod", DeploymentID: "next",
		Variables: map[string]string{"color": "blue"}})
	natstest.Eventually(t, 10*time.Second, func() error {
		for range 20 {
			if r := h.do("GET", restPath("canary0001", "prod", "/v"), ""); r.body != "/next/blue" {
				return fmt.Errorf("after promotion GET /v = %s", r.body)
			}
		}
		return nil
	})
}
