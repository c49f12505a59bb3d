package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/portico/portico/examples/petstore"
	"github.com/portico/portico/pkg/natstest"
)

// TestThrottlingOutagePolicyPerStage: with the ratelimit service down, a fail-open stage serves
// through the edge's local limit while a stage whose variable portico_throttle_outage is
// fail-closed refuses with 503.
func TestThrottlingOutagePolicyPerStage(t *testing.T) {
	g := startServe(t, serveOptions{services: "edge,authz,admin,connections"}) // no ratelimit
	nc := natstest.ConnectURL(t, g.natsURL())
	svc, err := petstore.Serve(nc, petstore.NewStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	open := importAPI(t, g, fmt.Sprintf(e2eAPI, "o"), "--stage", "open", "--throttle-rate", "100", "--throttle-burst", "100")
	closed := importAPI(t, g, fmt.Sprintf(e2eAPI, "c"), "--stage", "closed", "--throttle-rate", "100", "--throttle-burst", "100")
	ac, err := newAdminClient("http://" + g.opts.adminAddr)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string][]patchOperation{"patchOperations": {{Op: "replace", Path: "/variables/portico_throttle_outage", Value: "fail-closed"}}}
	if err := ac.doJSON(context.Background(), "PATCH", "/restapis/"+closed.APIID+"/stages/closed", ops, nil); err != nil {
		t.Fatal(err)
	}
	expect(t, "fail-open stage with ratelimit down", do(t, "GET", open.InvokeURL+"/pets/1", ""), 200, "")
	natstest.Eventually(t, 5*time.Second, func() error {
		if r := do(t, "GET", closed.InvokeURL+"/pets/1", ""); r.status != 503 {
			return fmt.Errorf("fail-closed stage with ratelimit down = %d %s, want 503", r.status, r.body)
		}
		return nil
	})
}
