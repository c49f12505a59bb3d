package connections

import (
	"sync"
	"time"

	"github.com/portico/portico/pkg/wire"
)

// registry is the in-memory view of the connection registry, indexed by edge.
type registry struct {
	mu     sync.Mutex
	max    int
	conns  map[string]wire.ConnEvent
	byEdge map[string]map[string]struct{}
	// byStage counts the sockets of each API stage per edge, for broadcasts.
	byStage map[stageKey]map[string]int
	seen    map[string]time.Time // edge id → last heartbeat or connect
	// removed holds ids forgotten here whose bucket delete is still queued, so that a lookup
	// falling back to the bucket does not bring them back.
	removed map[string]struct{}
}

type stageKey struct{ apiID, stage string }

func newRegistry(limit int) *registry {
	return &registry{
		max:     limit,
		conns:   make(map[string]wire.ConnEvent),
		byEdge:  make(map[string]map[string]struct{}),
		byStage: make(map[stageKey]map[string]int),
		seen:    make(map[string]time.Time),
		removed: make(map[string]struct{}),
	}
}

// put records a connection; false when the registry is full.
func (r *registry) put(ev wire.ConnEvent, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.conns[ev.ConnectionID]; ok {
		r.unindex(old)
	} else if len(r.conns) >= r.max {
		return false
	}
	r.conns[ev.ConnectionID] = ev
	delete(r.removed, ev.ConnectionID)
	ids := r.byEdge[ev.EdgeID]
	if ids == nil {
		ids = make(map[string]struct{})
		r.byEdge[ev.EdgeID] = ids
	}
	ids[ev.ConnectionID] = struct{}{}
	sk := stageKey{ev.APIID, ev.Stage}
	edges := r.byStage[sk]
	if edges == nil {
		edges = make(map[string]int)
		r.byStage[sk] = edges
	}
	edges[ev.EdgeID]++
	if _, ok := r.seen[ev.EdgeID]; !ok {
		r.seen[ev.EdgeID] = now
	}
	return true
}

// touch moves a connection's lastActiveAt forward.
func (r *registry) touch(id string, at int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev, ok := r.conns[id]; ok && at > ev.LastActiveAt {
		ev.LastActiveAt = at
		r.conns[id] = ev
	}
}

func (r *registry) get(id string) (wire.ConnEvent, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev, ok := r.conns[id]
	return ev, ok
}

// remove forgets a connection; false when it was not known.
func (r *registry) remove(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev, ok := r.conns[id]
	if !ok {
		return false
	}
	delete(r.conns, id)
	r.unindex(ev)
	return true
}

func (r *registry) unindex(ev wire.ConnEvent) {
	if ids := r.byEdge[ev.EdgeID]; ids != nil {
		delete(ids, ev.ConnectionID)
		if len(ids) == 0 {
			delete(r.byEdge, ev.EdgeID)
		}
	}
	r.unstage(ev)
}

func (r *registry) unstage(ev wire.ConnEvent) {
	sk := stageKey{ev.APIID, ev.Stage}
	if edges := r.byStage[sk]; edges != nil {
		if edges[ev.EdgeID]--; edges[ev.EdgeID] <= 0 {
			delete(edges, ev.EdgeID)
		}
		if len(edges) == 0 {
			delete(r.byStage, sk)
		}
	}
}

// edgesOf lists the edges holding sockets of an API stage.
func (r *registry) edgesOf(apiID, stage string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	edges := make([]string, 0, len(r.byStage[stageKey{apiID, stage}]))
	for e := range r.byStage[stageKey{apiID, stage}] {
		edges = append(edges, e)
	}
	return edges
}

// tombstone marks id as removed until its bucket delete is done.
func (r *registry) tombstone(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removed[id] = struct{}{}
}

func (r *registry) untombstone(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.removed, id)
}

func (r *registry) tombstoned(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.removed[id]
	return ok
}

func (r *registry) heartbeat(edgeID string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[edgeID] = now
}

// sweep forgets edges silent since before cutoff and returns the ids of their connections,
// now removed.
func (r *registry) sweep(cutoff time.Time) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var gone []string
	for edge, last := range r.seen {
		if !last.Before(cutoff) {
			continue
		}
		delete(r.seen, edge)
		for id := range r.byEdge[edge] {
			r.unstage(r.conns[id])
			delete(r.conns, id)
			gone = append(gone, id)
		}
		delete(r.byEdge, edge)
	}
	return gone
}

// count is how many connections the registry holds, of one API stage when apiID is set.
func (r *registry) count(apiID, stage string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if apiID == "" {
		return len(r.conns)
	}
	n := 0
	for sk, edges := range r.byStage {
		if sk.apiID != apiID || (stage != "" && sk.stage != stage) {
			continue
		}
		for _, c := range edges {
			n += c
		}
	}
	return n
}

func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}
