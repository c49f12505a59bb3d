// Package jsonpath evaluates JSONPath expressions with the semantics of
// Jayway JsonPath, the library AWS API Gateway uses behind $input.path and
// $input.json in mapping templates.
//
// The evaluation itself is done by github.com/ohler55/ojg/jp; this package
// adds the Jayway conventions on top:
//
//   - a path that does not start with "$" or "@" is taken relative to the
//     root ("foo.bar" means "$.foo.bar");
//   - a definite path (only names and single indexes) yields the one value it
//     selects, or nil when nothing is there;
//   - an indefinite path (wildcards, deep scan "..", slices, unions,
//     filters) always yields a []any, empty when nothing matched.
//
// Documents are the values produced by encoding/json or ojg
// (map[string]any, []any, string, float64, int64, bool, nil), or any
// collection implementing jp.Keyed / jp.Indexed (used for ordered maps).
//
// Compiled paths are cached (bounded), so evaluating the same path string on
// every request parses it once.
package jsonpath

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ohler55/ojg/jp"
)

// MaxPathLen bounds the length of a path expression accepted by Compile.
const MaxPathLen = 4096

// cacheSize bounds the number of compiled paths kept in the cache.
const cacheSize = 1024

// ErrSyntax is wrapped by every error reporting a malformed path.
var ErrSyntax = errors.New("jsonpath: invalid path")

// Path is a compiled JSONPath expression. It is immutable and safe for
// concurrent use.
type Path struct {
	src      string
	expr     jp.Expr
	definite bool
}

// String returns the path as it was written.
func (p *Path) String() string { return p.src }

// Definite reports whether the path selects at most one value (Jayway's
// "definite path"): no wildcard, deep scan, slice, union or filter.
func (p *Path) Definite() bool { return p.definite }

// Get evaluates the path against doc. A definite path returns the selected
// value or nil; an indefinite path returns a []any (never nil).
func (p *Path) Get(doc any) (out any) {
	defer func() {
		// Defensive: a panic inside the evaluator must not take down a
		// request; treat it as "nothing selected".
		if r := recover(); r != nil {
			out = nil
			if !p.definite {
				out = []any{}
			}
		}
	}()
	if p.definite {
		if len(p.expr) == 1 {
			return doc
		}
		v, ok := p.expr.FirstFound(doc)
		if !ok {
			return nil
		}
		return v
	}
	res := p.expr.Get(doc)
	if res == nil {
		res = []any{}
	}
	return res
}

var cache = struct {
	sync.RWMutex
	m map[string]*Path
}{m: make(map[string]*Path)}

// Compile parses a path, using the shared cache.
func Compile(path string) (*Path, error) {
	cache.RLock()
	p, ok := cache.m[path]
	cache.RUnlock()
	if ok {
		return p, nil
	}
	p, err := compile(path)
	if err != nil {
		return nil, err
	}
	cache.Lock()
	if len(cache.m) >= cacheSize {
		// Crude but bounded: start over rather than track recency.
		clear(cache.m)
	}
	cache.m[path] = p
	cache.Unlock()
	return p, nil
}

// Get compiles path (cached) and evaluates it against doc.
func Get(doc any, path string) (any, error) {
	p, err := Compile(path)
	if err != nil {
		return nil, err
	}
	return p.Get(doc), nil
}

func compile(path string) (p *Path, err error) {
	if len(path) > MaxPathLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrSyntax, MaxPathLen)
	}
	src := path
	s := strings.TrimSpace(path)
	switch {
	case s == "":
		return nil, fmt.Errorf("%w: empty", ErrSyntax)
	case s[0] == '$' || s[0] == '@':
	case s[0] == '[' || s[0] == '.':
		s = "$" + s
	default:
		s = "$." + s
	}
	defer func() {
		// ojg reports most errors as values but a few malformed inputs
		// panic inside its parser; never let that escape.
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%w: %v", ErrSyntax, r)
		}
	}()
	x, perr := jp.ParseString(s)
	if perr != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, perr)
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrSyntax)
	}
	if _, ok := x[0].(jp.Root); !ok {
		if _, ok := x[0].(jp.At); !ok {
			return nil, fmt.Errorf("%w: must start with $ or @", ErrSyntax)
		}
	}
	return &Path{src: src, expr: x, definite: isDefinite(x)}, nil
}

func isDefinite(x jp.Expr) bool {
	for _, f := range x {
		switch f.(type) {
		case jp.Root, jp.At, jp.Child, jp.Nth, jp.Bracket:
		default:
			return false
		}
	}
	return true
}
