package ws

import (
	"runtime"
	"sync"

	"github.com/fasthttp/websocket"
	"github.com/portico/portico/pkg/wire"
)

// Bounds of broadcast groups.
const (
	maxGroupsPerConn = 64
	maxGroupLen      = 128
)

func validGroup(g string) bool { return g != "" && len(g) <= maxGroupLen }

// join adds the socket to a group; false when it is in too many already.
func (c *conn) join(group string) bool {
	c.groupsMu.Lock()
	defer c.groupsMu.Unlock()
	if _, ok := c.groups[group]; ok {
		return true
	}
	if len(c.groups) >= maxGroupsPerConn {
		return false
	}
	if c.groups == nil {
		c.groups = make(map[string]struct{})
	}
	c.groups[group] = struct{}{}
	return true
}

func (c *conn) leave(group string) {
	c.groupsMu.Lock()
	defer c.groupsMu.Unlock()
	delete(c.groups, group)
}

func (c *conn) inGroup(group string) bool {
	c.groupsMu.Lock()
	defer c.groupsMu.Unlock()
	_, ok := c.groups[group]
	return ok
}

// broadcast writes d.Data to every socket here of d's API stage, or to the members of d.Group.
// Slow readers among them are disconnected as for any other write.
func (h *Hub) broadcast(d wire.Delivery) wire.ManageResponse {
	if len(d.Data) > h.cfg.MaxMessageBytes {
		return wire.ManageResponse{Code: wire.CodePayloadLarge, Message: "message too large"}
	}
	f := frameOf(d.Data)
	if pm, err := websocket.NewPreparedMessage(f.typ, f.data); err == nil {
		f.prep = pm
	}
	conns := h.snapshot()
	// Every core writes a share of the sockets.
	workers := max(1, min(runtime.GOMAXPROCS(0), len(conns)/minFanOutShare))
	share := (len(conns) + workers - 1) / workers
	var wg sync.WaitGroup
	for i := 1; i < workers; i++ {
		part := conns[min(i*share, len(conns)):min((i+1)*share, len(conns))]
		wg.Go(func() { h.broadcastTo(part, d, f) })
	}
	h.broadcastTo(conns[:min(share, len(conns))], d, f)
	wg.Wait()
	return wire.ManageResponse{}
}

// minFanOutShare is the fewest sockets worth a goroutine of their own in a broadcast.
const minFanOutShare = 256

func (h *Hub) broadcastTo(conns []*conn, d wire.Delivery, f *outFrame) {
	for _, c := range conns {
		if c.t.APIID != d.APIID || c.t.Stage != d.Stage {
			continue
		}
		if d.Group != "" && !c.inGroup(d.Group) {
			continue
		}
		c.deliver(f)
	}
}
