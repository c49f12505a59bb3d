package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/natstest"
)

const cachedAPI = `openapi: 3.0.1
info: {title: cached, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: e2e.cache.pets}
`

// TestStageCacheFlushReachesEveryEdge: a stage whose cache admin turned on is cached by each
// of two edges on one bus; admin's FlushStageCache (202) empties both.
func TestStageCacheFlushReachesEveryEdge(t *testing.T) {
	g := startServe(t, serveOptions{})
	nc := natstest.ConnectURL(t, g.natsURL())
	var calls atomic.Int64
	sub, err := nc.Subscribe("e2e.cache.pets", func(m *nats.Msg) {
		_ = m.Respond(fmt.Appendf(nil, "call %d", calls.Add(1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	imp := importAPI(t, g, cachedAPI, "--stage", "prod")
	ac, err := newAdminClient("http://" + g.opts.adminAddr)
	if err != nil {
		t.Fatal(err)
	}
	if err := ac.doJSON(context.Background(), "PATCH", "/restapis/"+imp.APIID+"/stages/prod", map[string]any{"patchOperations": []patchOperation{
		{Op: "replace", Path: "/cacheClusterEnabled", Value: "true"},
		{Op: "replace", Path: "/*/*/caching/enabled", Value: "true"},
	}}, nil); err != nil {
		t.Fatalf("UpdateStage: %v", err)
	}
	b := startServe(t, serveOptions{services: "edge", natsURL: g.natsURL()})
	edges := []string{g.opts.httpAddr, b.opts.httpAddr}
	get := func(addr string) response {
		return do(t, "GET", "http://"+addr+"/restapis/"+imp.APIID+"/prod/_user_request_/pets", "")
	}
	for _, addr := range edges { // each edge serves the stage with its cache on: an answer repeats
		natstest.Eventually(t, 10*time.Second, func() error {
			if r1, r2 := get(addr), get(addr); r1.status != 200 || r1.body != r2.body {
				return fmt.Errorf("edge %s: GET /pets = %d %s, then %s", addr, r1.status, r1.body, r2.body)
			}
			return nil
		})
	}
	warm := calls.Load() // each edge has called the backend once and cached the answer
	for _, addr := range edges {
		if r := get(addr); r.status != 200 {
			t.Fatalf("edge %s: GET /pets = %d", addr, r.status)
		}
	}
	if n := calls.Load(); n != warm {
		t.Fatalf("cached GETs called the backend: %d calls, want %d", n, warm)
	}

	if err := ac.do(context.Background(), "DELETE", "/restapis/"+imp.APIID+"/stages/prod/cache/data", nil, nil); err != nil {
		t.Fatalf("FlushStageCache: %v", err)
	}
	for _, addr := range edges {
		natstest.Eventually(t, 10*time.Second, func() error {
			before := calls.Load()
			if r := get(addr); r.status != 200 || calls.Load() == before {
				return fmt.Errorf("edge %s still answers from its cache (%d %s)", addr, r.status, r.body)
			}
			return nil
		})
	}
}
