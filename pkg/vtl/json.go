package vtl

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting when decoding JSON documents.
const maxJSONDepth = 256

var errJSONDepth = errors.New("vtl: JSON nested too deeply")

// ParseJSON decodes a JSON document into template values: objects become
// *Map (key order preserved; a repeated key keeps its last value), arrays
// *List, integers int64, other numbers float64.
func ParseJSON(data []byte) (v any, err error) {
	d := &jsonDecoder{b: data}
	d.space()
	v, err = d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i != len(d.b) {
		return nil, d.errorf("trailing data after JSON value")
	}
	return v, nil
}

type jsonDecoder struct {
	b []byte
	i int
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("vtl: JSON offset %d: %s", d.i, fmt.Sprintf(format, args...))
}

func (d *jsonDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errJSONDepth
	}
	if d.i >= len(d.b) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		d.i++
		m := NewMap()
		d.space()
		if d.i < len(d.b) && d.b[d.i] == '}' {
			d.i++
			return m, nil
		}
		for {
			d.space()
			if d.i >= len(d.b) || d.b[d.i] != '"' {
				return nil, d.errorf("expected object key")
			}
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.space()
			if d.i >= len(d.b) || d.b[d.i] != ':' {
				return nil, d.errorf("expected ':'")
			}
			d.i++
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m.Set(k, v)
			d.space()
			if d.i >= len(d.b) {
				return nil, d.errorf("unexpected end of input")
			}
			switch d.b[d.i] {
			case ',':
				d.i++
			case '}':
				d.i++
				return m, nil
			default:
				return nil, d.errorf("expected ',' or '}'")
			}
		}
	case c == '[':
		d.i++
		l := &List{}
		d.space()
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.i++
			return l, nil
		}
		for {
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, v)
			d.space()
			if d.i >= len(d.b) {
				return nil, d.errorf("unexpected end of input")
			}
			switch d.b[d.i] {
			case ',':
				d.i++
			case ']':
				d.i++
				return l, nil
			default:
				return nil, d.errorf("expected ',' or ']'")
			}
		}
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case bytes.HasPrefix(d.b[d.i:], []byte("true")):
		d.i += 4
		return true, nil
	case bytes.HasPrefix(d.b[d.i:], []byte("false")):
		d.i += 5
		return false, nil
	case bytes.HasPrefix(d.b[d.i:], []byte("null")):
		d.i += 4
		return nil, nil
	}
	return nil, d.errorf("unexpected character %q", d.b[d.i])
}

func (d *jsonDecoder) number() (any, error) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return nil, d.errorf("invalid number")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return nil, d.errorf("invalid number")
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return nil, d.errorf("invalid number")
		}
	}
	return parseNumber(string(d.b[start:d.i])), nil
}

// str decodes a string starting at the opening quote.
func (d *jsonDecoder) str() (string, error) {
	d.i++ // opening quote
	start := d.i
	// Fast path: no escapes, valid UTF-8.
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			s := d.b[start:d.i]
			d.i++
			if utf8.Valid(s) {
				return string(s), nil
			}
			return strings.ToValidUTF8(string(s), "\ufffd"), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		d.i++
	}
	var out []byte
	out = append(out, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if utf8.Valid(out) {
				return string(out), nil
			}
			return strings.ToValidUTF8(string(out), "\ufffd"), nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return "", d.errorf("unterminated escape")
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.errorf("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
						d.i += 2
						var ok2 bool
						if r2, ok2 = d.hex4(); !ok2 {
							return "", d.errorf("invalid \\u escape")
						}
					}
					r = utf16.DecodeRune(r, r2)
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", d.errorf("invalid escape")
			}
		default:
			out = append(out, c)
			d.i++
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

// bigInt is a JSON integer too large for int64, kept as its digits (Java
// would hold a BigInteger): it renders and serialises exactly, but takes
// no part in arithmetic.
type bigInt string

func (b bigInt) String() string { return string(b) }

func parseNumber(s string) any {
	if !strings.ContainsAny(s, ".eE") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return n
		}
		return bigInt(s)
	}
	// Out of range gives ±Inf or 0, as Java's Double.parseDouble.
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// ToJSON encodes a template value as compact JSON. Values that are not
// JSON-shaped are encoded as strings of their rendering.
func ToJSON(v any) string {
	var b strings.Builder
	budget := renderBudget
	writeJSON(&b, v, 0, &budget)
	return b.String()
}

func writeJSON(b *strings.Builder, v any, depth int, budget *int) {
	*budget--
	if depth > maxRenderDepth || *budget < 0 || b.Len() > maxRenderBytes {
		b.WriteString("null")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString("null")
			return
		}
		b.WriteString(formatDouble(x))
	case string:
		writeJSONString(b, x)
	case bigInt:
		b.WriteString(string(x))
	case *Map:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeJSON(b, x.vals[i], depth+1, budget)
		}
		b.WriteByte('}')
	case *List:
		b.WriteByte('[')
		for i, e := range x.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e, depth+1, budget)
		}
		b.WriteByte(']')
	default:
		writeJSONString(b, toString(v))
	}
}

const hexDigits = "0123456789abcdef"

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			default:
				if c < 0x20 {
					b.WriteString(`\u00`)
					b.WriteByte(hexDigits[c>>4])
					b.WriteByte(hexDigits[c&0xf])
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(`\ufffd`)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}
