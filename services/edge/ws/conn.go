package ws

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// Per-socket bounds that are not worth a knob.
const (
	writeTimeout         = 10 * time.Second // one outbound frame
	closeGrace           = time.Second      // wait for the client's close reply
	activeEvery          = 5 * time.Second  // "active" registry refresh, at most
	maxInFlight          = 8                // messages of one socket at its integrations
	maxAuthorizerContext = 8 << 10          // authorizer context carried in event headers, bytes
	closeCodeAbnorm      = websocket.CloseAbnormalClosure
	closeCodeSlow        = websocket.ClosePolicyViolation
	closeCodeTooBig      = websocket.CloseMessageTooBig
	closeCodeGoAway      = websocket.CloseGoingAway
	closeReasonIdle      = "idle timeout"
	closeReasonLife      = "max lifetime"
	closeReasonSlow      = "slow reader"
	closeReasonFrame     = "frame too big"
)

type outFrame struct {
	typ  int
	data []byte
	prep *websocket.PreparedMessage // set for broadcasts: framed once for every socket
	// raw is the encoded server frame, written by deliver straight to an idle socket.
	raw []byte
	// flush, instead of a message, asks the writer to finish a frame deliver began.
	flush bool
}

// flushFrame is the queue's marker for the rest of a frame deliver began.
var flushFrame = &outFrame{flush: true}

func frameOf(data []byte) *outFrame {
	typ := websocket.BinaryMessage
	if utf8.Valid(data) {
		typ = websocket.TextMessage
	}
	return &outFrame{typ: typ, data: data, raw: serverFrame(typ, data)}
}

// serverFrame encodes one final, unmasked, uncompressed server frame (RFC 6455 §5.2).
func serverFrame(typ int, payload []byte) []byte {
	n := len(payload)
	b := make([]byte, 0, 10+n)
	b = append(b, 0x80|byte(typ))
	switch {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// conn is one client socket.
type conn struct {
	h           *Hub
	id          string
	t           Target
	sel         *Selector
	routes      map[string]*model.Route
	userAgent   string
	domain      string // the handshake's Host
	connectedAt time.Time
	connected   bool // $connect accepted: $disconnect is owed
	principal   string
	authorizer  string // authorizer context, JSON object

	ws    *websocket.Conn
	guard *guardedConn

	out        chan *outFrame // pointers: an idle socket's queue costs 8 bytes a slot
	stop       chan struct{}  // closed when the socket starts closing
	writerDone chan struct{}  // closed when the writer has ended for good
	writerOnce sync.Once
	writing    atomic.Bool // a writer goroutine runs
	serving    atomic.Bool // registered and served: closing needs the writer (serve waits for it)
	inflight   chan struct{}

	closeOnce   sync.Once
	closeCode   int
	closeReason string
	closeFrame  bool // send a close frame (false when the client closed or vanished)

	dlMu    sync.Mutex // orders read-deadline updates against closing
	closing atomic.Bool
	closeBy time.Time // read deadline once closing; under dlMu

	groupsMu sync.Mutex
	groups   map[string]struct{}

	lastActive    atomic.Int64 // unix millis
	lastPublished atomic.Int64
}

func (h *Hub) newConn(id string, t Target, sel *Selector, routes map[string]*model.Route, ua string) *conn {
	now := time.Now()
	c := &conn{
		h: h, id: id, t: t, sel: sel, routes: routes, userAgent: ua, connectedAt: now,
		out:        make(chan *outFrame, h.cfg.SendQueue),
		stop:       make(chan struct{}),
		writerDone: make(chan struct{}),
		inflight:   make(chan struct{}, maxInFlight),
	}
	c.lastActive.Store(now.UnixMilli())
	c.lastPublished.Store(now.UnixMilli())
	return c
}

func (c *conn) isClosing() bool { return c.closing.Load() }

// send queues a frame for the writer. A full queue means the client does not read: it is
// disconnected.
func (c *conn) send(f *outFrame) bool {
	if !c.queue(f) {
		return false
	}
	c.kick()
	return true
}

func (c *conn) queue(f *outFrame) bool {
	if c.isClosing() {
		return false
	}
	select {
	case c.out <- f:
		return true
	default:
		// A reader this slow would not take a close frame either: drop the socket.
		c.h.log.Info("disconnecting slow reader", "connection_id", c.id)
		c.closeWith(closeCodeSlow, closeReasonSlow, false)
		_ = c.ws.NetConn().Close()
		return false
	}
}

// deliver sends a frame. When no writer runs and nothing is queued, the calling goroutine
// writes it to the socket itself, without blocking (no writer goroutine to wake, no deadline
// to arm): a broadcast reaches idle sockets at the cost of one write each. A socket whose
// send buffer is full gets the frame through its queue and writer like any other.
func (c *conn) deliver(f *outFrame) bool {
	if f.raw == nil || !c.serving.Load() || len(c.out) > 0 || c.isClosing() || !c.writing.CompareAndSwap(false, true) {
		return c.send(f)
	}
	// This goroutine is the socket's writer until release.
	ok := true
	if len(c.out) > 0 || c.isClosing() {
		ok = c.queue(f) // queued (or closed) since the first check: keep the order
	} else {
		switch n, err := c.guard.tryWrite(f.raw); {
		case err != nil:
			c.closeWith(closeCodeAbnorm, "write failed", false)
			_ = c.ws.NetConn().Close()
			ok = false
		case n == 0:
			ok = c.queue(f)
		case n < len(f.raw):
			ok = c.queue(flushFrame) // the writer finishes the frame
		}
	}
	c.writing.Store(false)
	if len(c.out) > 0 || c.isClosing() {
		c.kick()
	}
	return ok
}

// close starts a server-initiated close with a close frame.
func (c *conn) close(code int, reason string) { c.closeWith(code, reason, true) }

func (c *conn) closeWith(code int, reason string, frame bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason, c.closeFrame = code, reason, frame
		c.dlMu.Lock()
		c.closing.Store(true)
		c.closeBy = time.Now().Add(closeGrace)
		c.dlMu.Unlock()
		close(c.stop)
		if c.serving.Load() {
			c.kick() // the writer sends the close frame and arms the close deadline
		}
	})
}

// abort drops the socket without a close handshake.
func (c *conn) abort() {
	c.closeWith(closeCodeAbnorm, "aborted", false)
	if c.ws != nil {
		_ = c.ws.NetConn().Close()
	}
}

// armReadDeadline sets the next read deadline: idle timeout capped by the lifetime, or the
// close grace once the socket is closing.
func (c *conn) armReadDeadline() {
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	if c.closing.Load() {
		_ = c.ws.SetReadDeadline(c.closeBy)
		return
	}
	d := time.Now().Add(c.h.cfg.IdleTimeout)
	if end := c.connectedAt.Add(c.h.cfg.MaxLifetime); end.Before(d) {
		d = end
	}
	_ = c.ws.SetReadDeadline(d)
}

// kick starts the writer unless it runs: an idle socket holds no writer goroutine.
func (c *conn) kick() {
	if c.writing.CompareAndSwap(false, true) {
		go c.writeLoop()
	}
}

// writeLoop writes queued frames until the queue is empty (then exits, to be kicked again) or
// the socket closes (then it writes the close frame and ends for good, closing writerDone).
func (c *conn) writeLoop() {
	for {
		select {
		case f := <-c.out:
			if !c.write(f) {
				c.writerFinished()
				return
			}
		case <-c.stop:
			if c.closeCode != closeCodeSlow {
				c.drain()
			}
			if c.closeFrame {
				_ = c.ws.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(c.closeCode, c.closeReason), time.Now().Add(closeGrace))
			}
			c.armReadDeadline()
			c.writerFinished()
			return
		default:
			c.writing.Store(false)
			// A frame queued (or a close started) after the empty check needs a writer: this
			// one goes on unless a new one already took over.
			if (len(c.out) == 0 && !c.isClosing()) || !c.writing.CompareAndSwap(false, true) {
				return
			}
		}
	}
}

// writerFinished ends writing for good: writing stays set so that no writer starts again.
func (c *conn) writerFinished() {
	c.writerOnce.Do(func() { close(c.writerDone) })
}

// drain writes what was queued before the close, bounded by the queue's size.
func (c *conn) drain() {
	for range cap(c.out) {
		select {
		case f := <-c.out:
			if !c.write(f) {
				return
			}
		default:
			return
		}
	}
}

func (c *conn) write(f *outFrame) bool {
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	var err error
	if f.flush {
		err = c.guard.flush()
	} else if f.prep != nil {
		err = c.ws.WritePreparedMessage(f.prep)
	} else {
		err = c.ws.WriteMessage(f.typ, f.data)
	}
	if err != nil {
		c.closeWith(closeCodeAbnorm, "write failed", false)
		_ = c.ws.NetConn().Close()
		return false
	}
	return true
}

// readLoop serves the client's messages until the socket ends.
func (c *conn) readLoop(ctx context.Context) {
	c.ws.SetReadLimit(int64(c.h.cfg.MaxMessageBytes))
	// A client ping counts as activity for the idle timeout; the pong is the library's.
	pong := c.ws.PingHandler()
	c.ws.SetPingHandler(func(data string) error {
		c.armReadDeadline()
		return pong(data)
	})
	for {
		c.armReadDeadline()
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readFailed(err)
			return
		}
		if typ != websocket.TextMessage && typ != websocket.BinaryMessage {
			continue
		}
		c.touch()
		select {
		case c.inflight <- struct{}{}:
		case <-c.stop:
			continue // keep reading until the client's close reply or the grace deadline
		}
		go func() {
			defer func() { <-c.inflight }()
			c.h.onMessage(ctx, c, data)
		}()
	}
}

// readFailed maps why reading stopped to the close status reported in $disconnect.
func (c *conn) readFailed(err error) {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case c.guard.FrameTooBig():
		c.close(closeCodeTooBig, closeReasonFrame)
	case errors.Is(err, websocket.ErrReadLimit):
		c.closeWith(closeCodeTooBig, "message too big", false) // the library sent the close frame
	case errors.As(err, &ce):
		c.closeWith(ce.Code, ce.Text, false) // the library echoed the close frame
	case errors.As(err, &ne) && ne.Timeout() && !c.isClosing():
		if time.Since(c.connectedAt) >= c.h.cfg.MaxLifetime {
			c.close(closeCodeGoAway, closeReasonLife)
		} else {
			c.close(closeCodeGoAway, closeReasonIdle)
		}
	default:
		c.closeWith(closeCodeAbnorm, "connection lost", false)
	}
}

// touch records client activity and refreshes the registry at most every activeEvery.
func (c *conn) touch() {
	now := time.Now().UnixMilli()
	c.lastActive.Store(now)
	last := c.lastPublished.Load()
	if now-last < activeEvery.Milliseconds() || !c.lastPublished.CompareAndSwap(last, now) {
		return
	}
	c.h.publishConnEvent(c, wire.ConnActive)
}
