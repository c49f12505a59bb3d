package ws

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// errFrameTooBig is what the guarded connection returns once a client frame exceeds the limit.
var errFrameTooBig = errors.New("ws: frame exceeds the size limit")

// frameScanner follows the client-to-server WebSocket frame stream (RFC 6455 §5.2) byte by
// byte without buffering payloads, so that a frame whose declared payload length exceeds max
// is caught from its header, before any of its payload is read. The websocket library only
// limits whole messages; AWS limits frames too.
type frameScanner struct {
	max       uint64
	hdr       [14]byte // 2 fixed + up to 8 extended length + 4 mask
	have      int      // header bytes collected
	remaining uint64   // payload bytes of the current frame still to pass
}

// headerLen returns the full header length implied by the first two header bytes.
func headerLen(b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// scan consumes p. It returns safe = len(p) when every frame seen so far is within the limit;
// otherwise safe is the number of leading bytes of p that precede the oversized frame's header
// (0 when that header began in an earlier call) and tooBig is true. After tooBig, the scanner
// must not be used again.
func (s *frameScanner) scan(p []byte) (safe int, tooBig bool) {
	i := 0
	for i < len(p) {
		if s.remaining > 0 {
			n := uint64(len(p) - i)
			if n > s.remaining {
				n = s.remaining
			}
			s.remaining -= n
			i += int(n)
			continue
		}
		start := i - s.have // where this header began (negative: in an earlier call)
		s.hdr[s.have] = p[i]
		s.have++
		i++
		if s.have < 2 {
			continue
		}
		need := headerLen(s.hdr[1])
		if s.have < need {
			continue
		}
		var length uint64
		switch s.hdr[1] & 0x7f {
		case 126:
			length = uint64(binary.BigEndian.Uint16(s.hdr[2:4]))
		case 127:
			length = binary.BigEndian.Uint64(s.hdr[2:10])
		default:
			length = uint64(s.hdr[1] & 0x7f)
		}
		s.have = 0
		if length > s.max {
			return max(start, 0), true
		}
		s.remaining = length
	}
	return len(p), false
}

// guardedConn enforces a frame size limit on what the client sends, and lets the hub write
// frames to the socket without blocking (tryWrite) between the websocket library's writes.
type guardedConn struct {
	net.Conn
	raw     net.Conn        // the socket itself: fasthttp's hijacked conn ignores Close
	rc      syscall.RawConn // raw's, for tryWrite; nil when raw is no plain TCP socket
	scanner frameScanner
	tripped atomic.Bool

	wmu     sync.Mutex // orders every write
	pending []byte     // the rest of a frame tryWrite began: written before anything else
}

func newGuardedConn(c net.Conn, maxFrame int) *guardedConn {
	raw := c
	if u, ok := c.(interface{ UnsafeConn() net.Conn }); ok {
		raw = u.UnsafeConn()
	}
	g := &guardedConn{Conn: c, raw: raw, scanner: frameScanner{max: uint64(maxFrame)}}
	// Only a bare TCP socket: bytes written to a TLS or other wrapped connection's descriptor
	// would bypass its encoding.
	if tc, ok := raw.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			g.rc = rc
		}
	}
	return g
}

// Write is the websocket library's: it finishes a pending frame first.
func (g *guardedConn) Write(p []byte) (int, error) {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	if err := g.flushLocked(); err != nil {
		return 0, err
	}
	return g.Conn.Write(p)
}

// flush writes the pending rest of a frame, within the write timeout.
func (g *guardedConn) flush() error {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	if len(g.pending) == 0 {
		return nil
	}
	if err := g.Conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return g.flushLocked()
}

func (g *guardedConn) flushLocked() error {
	if len(g.pending) == 0 {
		return nil
	}
	if _, err := g.Conn.Write(g.pending); err != nil {
		return err
	}
	g.pending = nil
	return nil
}

// tryWrite writes frame with one non-blocking write. It returns how much the socket took: all
// of it, 0 (its send buffer is full, or nothing can be written directly: the caller queues the
// frame) or a part, whose rest is pending until flush or the next Write.
func (g *guardedConn) tryWrite(frame []byte) (int, error) {
	if g.rc == nil {
		return 0, nil
	}
	if !g.wmu.TryLock() {
		return 0, nil // the library is writing (a pong, a close): never wait for it here
	}
	defer g.wmu.Unlock()
	if len(g.pending) > 0 {
		return 0, nil
	}
	var n int
	var werr error
	err := g.rc.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), frame)
			if werr != syscall.EINTR {
				return true // never wait for the socket: the queue's writer does
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case werr == syscall.EAGAIN:
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	if n < len(frame) {
		g.pending = frame[n:]
	}
	return n, nil
}

// Close closes the socket, which fasthttp's hijacked connection would leave open until the
// hijack handler returns.
func (g *guardedConn) Close() error { return g.raw.Close() }

// Read passes the bytes of frames within the limit and fails from the first oversized frame on.
func (g *guardedConn) Read(p []byte) (int, error) {
	if g.tripped.Load() {
		return 0, errFrameTooBig
	}
	n, err := g.Conn.Read(p)
	if n > 0 {
		safe, tooBig := g.scanner.scan(p[:n])
		if tooBig {
			g.tripped.Store(true)
			if safe == 0 {
				return 0, errFrameTooBig
			}
			return safe, nil
		}
	}
	return n, err
}

// FrameTooBig reports whether the client sent an oversized frame.
func (g *guardedConn) FrameTooBig() bool { return g.tripped.Load() }
