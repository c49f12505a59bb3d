package waf

import (
	"bytes"
	"net/netip"
	"regexp"
	"strings"
)

// Request is what the evaluator inspects. Header must be safe to call more than once.
type Request struct {
	Method   []byte
	Path     []byte                   // the raw URI path as the client sent it (not decoded)
	Query    []byte                   // raw query string without '?'
	Header   func(name string) []byte // case-insensitive lookup of the first value; nil when absent
	SourceIP netip.Addr
	Body     []byte
}

// Verdict is the outcome of evaluating a request.
type Verdict struct {
	Block   bool
	Rule    string    // terminating rule name; "" when the default action decided
	Labels  []string  // labels added while evaluating
	Counted []string  // Count rules that matched
	Custom  *Response // non-nil when a Block action has a CustomResponse; shared, do not modify
}

// Response is a custom block response.
type Response struct {
	Status      int
	Headers     [][2]string
	ContentType string // MIME, e.g. application/json; "" when there is no body
	Body        []byte
}

// maxRetainedBuffer bounds the scratch space an idle evalState keeps.
const maxRetainedBuffer = 64 * 1024

// evalState is the per-request scratch space, pooled.
type evalState struct {
	req    *Request
	labels []string
	buf    [2][]byte
}

// Evaluate runs the rules in ascending priority: the first matching Allow or Block decides, a
// matching Count is recorded and evaluation continues, and the default action decides when no
// rule terminated. Every matching rule adds its labels.
func (p *Program) Evaluate(r *Request) Verdict {
	e := p.pool.Get().(*evalState)
	e.req = r
	defer p.release(e)
	var v Verdict
	for i := range p.rules {
		rule := &p.rules[i]
		if !rule.match.match(e) {
			continue
		}
		e.labels = append(e.labels, rule.labels...)
		switch rule.action {
		case actCount:
			v.Counted = append(v.Counted, rule.name)
			continue
		case actBlock:
			v.Block, v.Custom = true, rule.custom
		}
		v.Rule = rule.name
		v.Labels = e.copyLabels()
		return v
	}
	v.Block = p.defaultBlock
	if v.Block {
		v.Custom = p.defaultCustom
	}
	v.Labels = e.copyLabels()
	return v
}

func (e *evalState) copyLabels() []string {
	if len(e.labels) == 0 {
		return nil
	}
	return append([]string(nil), e.labels...)
}

func (p *Program) release(e *evalState) {
	e.req = nil
	e.labels = e.labels[:0]
	for i := range e.buf {
		if cap(e.buf[i]) > maxRetainedBuffer {
			e.buf[i] = nil
		}
	}
	p.pool.Put(e)
}

type matcher interface {
	match(e *evalState) bool
}

// tester decides on one inspected (and transformed) value.
type tester interface {
	test(v []byte) bool
}

type fieldKind int

const (
	fieldUriPath fieldKind = iota
	fieldQueryString
	fieldMethod
	fieldHeader
	fieldQueryArgument
	fieldAllQueryArguments
	fieldBody
)

const (
	oversizeContinue = iota
	oversizeMatch
	oversizeNoMatch
)

// inspection is a compiled FieldToMatch with its transformations in order.
type inspection struct {
	field      fieldKind
	name       string
	oversize   int
	transforms []transformFunc
}

// inspect reports whether t accepts the field (any value of it, for query arguments). An absent
// header or query argument does not match.
func (e *evalState) inspect(in *inspection, t tester) bool {
	r := e.req
	switch in.field {
	case fieldUriPath:
		return e.test(in, r.Path, t)
	case fieldQueryString:
		return e.test(in, r.Query, t)
	case fieldMethod:
		return e.test(in, r.Method, t)
	case fieldHeader:
		if r.Header == nil {
			return false
		}
		v := r.Header(in.name)
		return v != nil && e.test(in, v, t)
	case fieldBody:
		b := r.Body
		if len(b) > BodyInspectionLimit {
			switch in.oversize {
			case oversizeMatch:
				return true
			case oversizeNoMatch:
				return false
			}
			b = b[:BodyInspectionLimit]
		}
		return e.test(in, b, t)
	}
	for q := r.Query; len(q) > 0; {
		pair := q
		if i := bytes.IndexByte(q, '&'); i >= 0 {
			pair, q = q[:i], q[i+1:]
		} else {
			q = nil
		}
		if len(pair) == 0 {
			continue
		}
		name, value := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			name, value = pair[:i], pair[i+1:]
		}
		if in.field == fieldQueryArgument && !equalFold(name, in.name) {
			continue
		}
		if e.test(in, value, t) {
			return true
		}
	}
	return false
}

// test applies the transformations, alternating between the two scratch buffers.
func (e *evalState) test(in *inspection, v []byte, t tester) bool {
	for i, fn := range in.transforms {
		out := fn(e.buf[i%2][:0], v)
		e.buf[i%2] = out
		v = out
	}
	return t.test(v)
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

type byteMatch struct {
	in     inspection
	search []byte
	pos    int
}

func (m *byteMatch) match(e *evalState) bool { return e.inspect(&m.in, m) }

func (m *byteMatch) test(v []byte) bool {
	switch m.pos {
	case posExactly:
		return bytes.Equal(v, m.search)
	case posStartsWith:
		return bytes.HasPrefix(v, m.search)
	case posEndsWith:
		return bytes.HasSuffix(v, m.search)
	case posContains:
		return bytes.Contains(v, m.search)
	}
	for off := 0; off <= len(v); {
		i := bytes.Index(v[off:], m.search)
		if i < 0 {
			return false
		}
		start, end := off+i, off+i+len(m.search)
		if (start == 0 || !isWordByte(v[start-1])) && (end == len(v) || !isWordByte(v[end])) {
			return true
		}
		off = start + 1
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

type regexMatch struct {
	in inspection
	re *regexp.Regexp
}

func (m *regexMatch) match(e *evalState) bool { return e.inspect(&m.in, m) }
func (m *regexMatch) test(v []byte) bool      { return m.re.Match(v) }

type sizeMatch struct {
	in   inspection
	op   int
	size int64
}

func (m *sizeMatch) match(e *evalState) bool { return e.inspect(&m.in, m) }

func (m *sizeMatch) test(v []byte) bool {
	n := int64(len(v))
	switch m.op {
	case opEQ:
		return n == m.size
	case opNE:
		return n != m.size
	case opLE:
		return n <= m.size
	case opLT:
		return n < m.size
	case opGE:
		return n >= m.size
	}
	return n > m.size
}

type ipMatch struct {
	table    *ipTable
	header   string // "" inspects the source address
	fallback bool   // the result when the header is absent or holds no valid address
	position int
}

func (m *ipMatch) match(e *evalState) bool {
	if m.header == "" {
		return m.table.contains(e.req.SourceIP)
	}
	var h []byte
	if e.req.Header != nil {
		h = e.req.Header(m.header)
	}
	if h == nil {
		return m.fallback
	}
	s := string(h)
	switch m.position {
	case posFirst:
		first, _, _ := strings.Cut(s, ",")
		return m.one(first)
	case posLast:
		return m.one(s[strings.LastIndexByte(s, ',')+1:])
	}
	parts := strings.Split(s, ",")
	parts = parts[max(0, len(parts)-MaxForwardedIPs):]
	valid := false
	for _, part := range parts {
		a, err := netip.ParseAddr(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		valid = true
		if m.table.contains(a) {
			return true
		}
	}
	return !valid && m.fallback
}

func (m *ipMatch) one(s string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return m.fallback
	}
	return m.table.contains(a)
}

type labelMatch struct {
	namespace bool
	key       string // ends in ':' for NAMESPACE
	local     bool   // key is relative to context
	context   string // the web ACL's label prefix
}

func (m *labelMatch) match(e *evalState) bool {
	for _, l := range e.labels {
		if m.matches(l) {
			return true
		}
	}
	return false
}

// matches follows AWS's examples: a fully qualified key must equal the label (LABEL) or be a
// prefix of it (NAMESPACE); a local key must end the label's part after the context prefix
// (LABEL) or appear on component boundaries in its namespaces (NAMESPACE).
func (m *labelMatch) matches(label string) bool {
	if !m.local {
		if m.namespace {
			return strings.HasPrefix(label, m.key)
		}
		return label == m.key
	}
	rest, ok := strings.CutPrefix(label, m.context)
	if !ok {
		return false
	}
	if !m.namespace {
		return strings.HasSuffix(rest, m.key) && (len(rest) == len(m.key) || rest[len(rest)-len(m.key)-1] == ':')
	}
	ns := rest[:strings.LastIndexByte(rest, ':')+1]
	for off := 0; off < len(ns); {
		i := strings.Index(ns[off:], m.key)
		if i < 0 {
			return false
		}
		if off+i == 0 || ns[off+i-1] == ':' {
			return true
		}
		off += i + 1
	}
	return false
}

type andMatch []matcher

func (m andMatch) match(e *evalState) bool {
	for _, s := range m {
		if !s.match(e) {
			return false
		}
	}
	return true
}

type orMatch []matcher

func (m orMatch) match(e *evalState) bool {
	for _, s := range m {
		if s.match(e) {
			return true
		}
	}
	return false
}

type notMatch struct{ m matcher }

func (m notMatch) match(e *evalState) bool { return !m.m.match(e) }
