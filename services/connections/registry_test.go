package connections

import (
	"slices"
	"testing"
	"time"

	"github.com/portico/portico/pkg/wire"
)

func TestRegistryIndexes(t *testing.T) {
	r := newRegistry(3)
	now := time.Unix(1000, 0)
	ev := func(id, edge, stage string) wire.ConnEvent {
		return wire.ConnEvent{ConnectionID: id, EdgeID: edge, APIID: "a", Stage: stage}
	}
	for _, e := range []wire.ConnEvent{ev("1", "e1", "prod"), ev("2", "e2", "prod"), ev("3", "e3", "dev")} {
		if !r.put(e, now) {
			t.Fatalf("put(%s) refused", e.ConnectionID)
		}
	}
	if r.put(ev("4", "e1", "prod"), now) {
		t.Fatal("put beyond the limit accepted")
	}
	if !r.put(ev("1", "e2", "prod"), now) { // same id moves edge: not a new entry
		t.Fatal("re-put of a known id refused")
	}
	edges := r.edgesOf("a", "prod")
	slices.Sort(edges)
	if !slices.Equal(edges, []string{"e2"}) {
		t.Fatalf("edgesOf(prod) = %v, want [e2]", edges)
	}
	r.heartbeat("e2", now.Add(10*time.Second))
	gone := r.sweep(now.Add(5 * time.Second)) // e1 and e3 silent since now
	slices.Sort(gone)
	if !slices.Equal(gone, []string{"3"}) {
		t.Fatalf("sweep = %v, want [3] (e1 holds nothing any more)", gone)
	}
	if got := r.edgesOf("a", "dev"); len(got) != 0 {
		t.Fatalf("edgesOf(dev) after sweep = %v, want none", got)
	}
	if !r.remove("2") || r.remove("2") {
		t.Fatal("remove: want true then false")
	}
	if r.len() != 1 {
		t.Fatalf("len = %d, want 1", r.len())
	}
}
