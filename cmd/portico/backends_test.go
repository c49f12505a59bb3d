package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/portico/portico/examples/petstore"
	"github.com/portico/portico/pkg/natstest"
)

// TestBackendsVerb: `portico backends` lists the example backend and which integrations have an
// instance serving their subject, in JSON and as a table.
func TestBackendsVerb(t *testing.T) {
	g := startServe(t, serveOptions{})
	nc := natstest.ConnectURL(t, g.natsURL())
	svc, err := petstore.Serve(nc, petstore.NewStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	imp := importAPI(t, g, fmt.Sprintf(e2eAPI, "one"), "--stage", "prod")
	admin := "http://" + g.opts.adminAddr

	var res backendsResult
	out := cli(t, "backends", "--admin", admin, "-o", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("backends -o json printed %q: %v", out, err)
	}
	names := []string{}
	for _, b := range res.Backends {
		names = append(names, b.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "petstore") {
		t.Errorf("backends = %v, want the petstore service", names)
	}
	instances := map[string]int{}
	for _, i := range res.Integrations {
		if i.APIID == imp.APIID && i.Stage == "prod" {
			instances[i.Route] = i.Instances
		}
	}
	if instances["GET /pets"] != 1 || instances["GET /nobody"] != 0 {
		t.Errorf("integration instances = %v, want GET /pets 1 and GET /nobody 0", instances)
	}
	if _, listed := instances["GET /version"]; listed {
		t.Errorf("a MOCK integration is listed: %v", instances)
	}
	table := cli(t, "backends", "--admin", admin)
	if !strings.Contains(table, "petstore.pets.list") || !strings.Contains(table, "e2e.nobody.listens") {
		t.Errorf("backends table lacks the subjects:\n%s", table)
	}
}
