// Package route compiles API Gateway path templates into a tree and matches request paths with
// AWS precedence: a literal segment beats a {param}, which beats a greedy {proxy+}; an exact
// method beats ANY.
package route

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// AnyMethod matches every HTTP method.
const AnyMethod = "ANY"

// Limits on templates.
const (
	MaxTemplateLen = 2048
	MaxSegments    = 64
)

// Param is one matched path parameter, URL-decoded.
type Param struct {
	Name, Value string
}

// Table is a compiled set of routes. It is immutable once built and safe for concurrent use.
type Table[T any] struct {
	root node[T]
}

type node[T any] struct {
	literal map[string]*node[T]
	param   *node[T]
	pname   string
	greedy  *node[T]
	gname   string
	methods map[string]T
	tmpl    map[string]string // method → template, for conflict messages
}

// Match is the result of a successful lookup.
type Match[T any] struct {
	Value    T
	Template string // resource path as written, e.g. /pets/{id}
	Params   []Param
}

// ErrConflict is returned by Add for a method already defined on an equivalent template.
var ErrConflict = errors.New("route conflict")

// Add compiles template (e.g. "/pets/{id}", "/files/{proxy+}", "/") for method.
func (t *Table[T]) Add(method, template string, v T) error {
	segs, err := Parse(template)
	if err != nil {
		return err
	}
	n := &t.root
	for _, s := range segs {
		switch s.Kind {
		case Literal:
			if n.literal == nil {
				n.literal = map[string]*node[T]{}
			}
			c := n.literal[s.Text]
			if c == nil {
				c = &node[T]{}
				n.literal[s.Text] = c
			}
			n = c
		case Variable:
			if n.param == nil {
				n.param = &node[T]{pname: s.Text}
			} else if n.param.pname != s.Text {
				return fmt.Errorf("%w: %s: parameter {%s} conflicts with {%s} at the same position", ErrConflict, template, s.Text, n.param.pname)
			}
			n = n.param
		case Greedy:
			if n.greedy == nil {
				n.greedy = &node[T]{gname: s.Text}
			} else if n.greedy.gname != s.Text {
				return fmt.Errorf("%w: %s: parameter {%s+} conflicts with {%s+}", ErrConflict, template, s.Text, n.greedy.gname)
			}
			n = n.greedy
		}
	}
	method = strings.ToUpper(method)
	if n.methods == nil {
		n.methods = map[string]T{}
		n.tmpl = map[string]string{}
	}
	if _, dup := n.methods[method]; dup {
		return fmt.Errorf("%w: %s %s defined twice", ErrConflict, method, template)
	}
	n.methods[method] = v
	n.tmpl[method] = template
	return nil
}

// Each calls fn for every route of the table.
func (t *Table[T]) Each(fn func(method, template string, v T)) {
	t.root.each(fn)
}

func (n *node[T]) each(fn func(method, template string, v T)) {
	for m, v := range n.methods {
		fn(m, n.tmpl[m], v)
	}
	for _, c := range n.literal {
		c.each(fn)
	}
	if n.param != nil {
		n.param.each(fn)
	}
	if n.greedy != nil {
		n.greedy.each(fn)
	}
}

// Lookup finds the route for method and path (the URL path, still percent-encoded). found
// reports whether a route matched; pathMatched whether some resource matched the path at all
// (REST answers both misses with 403, but callers may want to tell them apart).
func (t *Table[T]) Lookup(method, path string) (m Match[T], found bool) {
	if path == "" {
		path = "/"
	}
	rest := strings.TrimPrefix(path, "/")
	var params []Param
	n, params, ok := t.root.find(method, rest, params, rest == "")
	if !ok {
		return m, false
	}
	v, tmpl, _ := n.pick(method)
	for i := range params {
		if dec, err := url.PathUnescape(params[i].Value); err == nil {
			params[i].Value = dec
		}
	}
	return Match[T]{Value: v, Template: tmpl, Params: params}, true
}

func (n *node[T]) pick(method string) (T, string, bool) {
	if v, ok := n.methods[method]; ok {
		return v, n.tmpl[method], true
	}
	if v, ok := n.methods[AnyMethod]; ok {
		return v, n.tmpl[AnyMethod], true
	}
	var zero T
	return zero, "", false
}

// find walks rest (path without leading slash). atEnd means no segments remain.
func (n *node[T]) find(method, rest string, params []Param, atEnd bool) (*node[T], []Param, bool) {
	if atEnd {
		if _, _, ok := n.pick(method); ok {
			return n, params, true
		}
		return nil, params, false
	}
	seg, tail, more := strings.Cut(rest, "/")
	last := !more
	if c := n.literal[seg]; c != nil {
		if r, p, ok := c.find(method, tail, params, last); ok {
			return r, p, true
		}
	}
	if n.param != nil && seg != "" {
		if r, p, ok := n.param.find(method, tail, append(params, Param{n.param.pname, seg}), last); ok {
			return r, p, true
		}
	}
	if n.greedy != nil && rest != "" {
		if _, _, ok := n.greedy.pick(method); ok {
			return n.greedy, append(params, Param{n.greedy.gname, rest}), true
		}
	}
	return nil, params, false
}

// SegmentKind tells literal segments from parameters.
type SegmentKind int

// Segment kinds.
const (
	Literal SegmentKind = iota
	Variable
	Greedy
)

// Segment is one parsed template segment; Text is the literal or the parameter name.
type Segment struct {
	Kind SegmentKind
	Text string
}

// Parse splits a path template into segments and validates it: it starts with "/", has no
// empty segments, parameters are whole segments with names of [A-Za-z0-9._-], and a greedy
// parameter is last.
func Parse(template string) ([]Segment, error) {
	if len(template) > MaxTemplateLen {
		return nil, fmt.Errorf("invalid path %q: longer than %d characters", template[:32]+"…", MaxTemplateLen)
	}
	if !strings.HasPrefix(template, "/") {
		return nil, fmt.Errorf("invalid path %q: must start with /", template)
	}
	if template == "/" {
		return nil, nil
	}
	parts := strings.Split(template[1:], "/")
	if len(parts) > MaxSegments {
		return nil, fmt.Errorf("invalid path %q: more than %d segments", template, MaxSegments)
	}
	segs := make([]Segment, 0, len(parts))
	for i, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("invalid path %q: empty segment", template)
		}
		if !strings.HasPrefix(p, "{") {
			if strings.ContainsAny(p, "{}") {
				return nil, fmt.Errorf("invalid path %q: braces inside segment %q", template, p)
			}
			segs = append(segs, Segment{Literal, p})
			continue
		}
		if !strings.HasSuffix(p, "}") {
			return nil, fmt.Errorf("invalid path %q: unclosed parameter %q", template, p)
		}
		name := p[1 : len(p)-1]
		kind := Variable
		if strings.HasSuffix(name, "+") {
			kind = Greedy
			name = name[:len(name)-1]
			if i != len(parts)-1 {
				return nil, fmt.Errorf("invalid path %q: greedy parameter {%s+} must be last", template, name)
			}
		}
		if !validName(name) {
			return nil, fmt.Errorf("invalid path %q: bad parameter name %q", template, name)
		}
		segs = append(segs, Segment{kind, name})
	}
	return segs, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
