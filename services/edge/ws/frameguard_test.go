package ws

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// frame encodes a masked client frame with a payload of n bytes.
func frame(n int, fin bool) []byte {
	b0 := byte(0x1)
	if fin {
		b0 |= 0x80
	}
	var out []byte
	switch {
	case n < 126:
		out = []byte{b0, 0x80 | byte(n)}
	case n <= 0xffff:
		out = []byte{b0, 0x80 | 126, 0, 0}
		binary.BigEndian.PutUint16(out[2:], uint16(n))
	default:
		out = make([]byte, 10)
		out[0], out[1] = b0, 0x80|127
		binary.BigEndian.PutUint64(out[2:], uint64(n))
	}
	out = append(out, 1, 2, 3, 4) // mask key
	return append(out, bytes.Repeat([]byte{'x'}, n)...)
}

func TestFrameScanner(t *testing.T) {
	const limit = 1000
	tests := []struct {
		name     string
		stream   []byte
		chunk    int
		tooBig   bool
		safeUpTo int // bytes passed before the oversized frame
	}{
		{"small frames", append(frame(10, false), frame(125, true)...), 3, false, 0},
		{"at the limit", frame(limit, true), 7, false, 0},
		{"16-bit length over", append(frame(5, true), frame(limit+1, true)...), 1, true, len(frame(5, true))},
		{"64-bit length over", append(frame(126, true), frame(70000, true)...), 4096, true, len(frame(126, true))},
		{"over in the first frame", frame(2000, true), 4096, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := frameScanner{max: limit}
			passed := 0
			tripped := false
			for off := 0; off < len(tt.stream) && !tripped; off += tt.chunk {
				end := min(off+tt.chunk, len(tt.stream))
				safe, tooBig := s.scan(tt.stream[off:end])
				if safe < 0 || safe > end-off {
					t.Fatalf("scan returned safe = %d for %d bytes", safe, end-off)
				}
				passed += safe
				tripped = tooBig
			}
			if tripped != tt.tooBig {
				t.Fatalf("tooBig = %v, want %v", tripped, tt.tooBig)
			}
			// Header bytes of the oversized frame that arrived in earlier chunks have passed;
			// none of its payload may.
			if tt.tooBig && (passed < tt.safeUpTo || passed >= tt.safeUpTo+14) {
				t.Fatalf("passed %d bytes, want %d plus at most part of the oversized header", passed, tt.safeUpTo)
			}
		})
	}
}

// FuzzFrameScanner checks that however a valid frame stream is chunked, the scanner flags it
// exactly when one of its frames is over the limit, and never passes a byte of that frame.
func FuzzFrameScanner(f *testing.F) {
	f.Add([]byte{10, 200, 0}, uint16(100), uint8(3))
	f.Add([]byte{255, 255, 1}, uint16(300), uint8(1))
	f.Add([]byte{}, uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, sizes []byte, limit uint16, chunk uint8) {
		if len(sizes) > 32 {
			sizes = sizes[:32]
		}
		var stream []byte
		firstBig := -1
		for _, sz := range sizes {
			n := int(sz) * 3 // up to 765: covers the 7- and 16-bit length forms
			if firstBig < 0 && n > int(limit) {
				firstBig = len(stream)
			}
			stream = append(stream, frame(n, true)...)
		}
		step := int(chunk) + 1
		s := frameScanner{max: uint64(limit)}
		passed := 0
		for off := 0; off < len(stream); off += step {
			end := min(off+step, len(stream))
			safe, tooBig := s.scan(stream[off:end])
			passed += safe
			if tooBig {
				if firstBig < 0 || passed < firstBig || passed >= firstBig+14 {
					t.Fatalf("tripped after %d bytes, first oversized frame at %d", passed, firstBig)
				}
				return
			}
		}
		if firstBig >= 0 {
			t.Fatalf("oversized frame at %d not caught", firstBig)
		}
	})

	f.Add([]byte{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint16(1), uint8(2))
}

// FuzzFrameScannerRaw feeds arbitrary bytes: the scanner must never panic or overreport.
func FuzzFrameScannerRaw(f *testing.F) {
	f.Add([]byte{0x81, 0xfe, 0xff, 0xff}, uint16(10))
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 9}, uint16(10))
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		s := frameScanner{max: uint64(limit)}
		for len(data) > 0 {
			n := min(len(data), 5)
			safe, tooBig := s.scan(data[:n])
			if safe < 0 || safe > n {
				t.Fatalf("safe = %d of %d", safe, n)
			}
			if tooBig {
				return
			}
			data = data[n:]
		}
	})
}
