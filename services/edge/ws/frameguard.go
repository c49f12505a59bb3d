package ws

import (
	"encoding/binary"
	"errors"
	"net"
	"sync/atomic"
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

// guardedConn enforces a frame size limit on what the client sends.
type guardedConn struct {
	net.Conn
	raw     net.Conn // the socket itself: fasthttp's hijacked conn ignores Close
	scanner frameScanner
	tripped atomic.Bool
}

func newGuardedConn(c net.Conn, maxFrame int) *guardedConn {
	raw := c
	if u, ok := c.(interface{ UnsafeConn() net.Conn }); ok {
		raw = u.UnsafeConn()
	}
	return &guardedConn{Conn: c, raw: raw, scanner: frameScanner{max: uint64(maxFrame)}}
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
