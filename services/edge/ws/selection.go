package ws

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DefaultRouteSelectionExpression is AWS's default for WebSocket APIs.
const DefaultRouteSelectionExpression = "$request.body.action"

// Bounds of a route selection expression.
const (
	maxExpressionLen = 1024
	maxExpressionRef = 16 // ${…} references in one expression
	maxPathDepth     = 16 // fields in one request.body path
)

const bodyPrefix = "request.body."

// Selector is a compiled routeSelectionExpression: either a single "$request.body.a.b" path or
// a template of literal text and "${request.body.a.b}" references.
type Selector struct {
	parts []selPart
}

type selPart struct {
	literal string
	path    []string // nil for a literal
}

// ParseSelector compiles a route selection expression. An empty expression means
// DefaultRouteSelectionExpression.
func ParseSelector(expr string) (*Selector, error) {
	if expr == "" {
		expr = DefaultRouteSelectionExpression
	}
	if len(expr) > maxExpressionLen {
		return nil, fmt.Errorf("route selection expression longer than %d bytes", maxExpressionLen)
	}
	if !strings.Contains(expr, "${") {
		rest, ok := strings.CutPrefix(expr, "$"+bodyPrefix)
		if !ok {
			return nil, fmt.Errorf("route selection expression %q: want $request.body.<path> or ${request.body.<path>} templates", expr)
		}
		path, err := parsePath(rest)
		if err != nil {
			return nil, err
		}
		return &Selector{parts: []selPart{{path: path}}}, nil
	}
	s := &Selector{}
	refs := 0
	for len(expr) > 0 {
		i := strings.Index(expr, "${")
		if i < 0 {
			s.parts = append(s.parts, selPart{literal: expr})
			break
		}
		if i > 0 {
			s.parts = append(s.parts, selPart{literal: expr[:i]})
		}
		expr = expr[i+2:]
		j := strings.IndexByte(expr, '}')
		if j < 0 {
			return nil, errors.New("route selection expression: unterminated ${")
		}
		rest, ok := strings.CutPrefix(expr[:j], bodyPrefix)
		if !ok {
			return nil, fmt.Errorf("route selection expression: unsupported reference %q", expr[:j])
		}
		path, err := parsePath(rest)
		if err != nil {
			return nil, err
		}
		refs++
		if refs > maxExpressionRef {
			return nil, fmt.Errorf("route selection expression: more than %d references", maxExpressionRef)
		}
		s.parts = append(s.parts, selPart{path: path})
		expr = expr[j+1:]
	}
	return s, nil
}

func parsePath(p string) ([]string, error) {
	if p == "" {
		return nil, errors.New("route selection expression: empty body path")
	}
	fields := strings.Split(p, ".")
	if len(fields) > maxPathDepth {
		return nil, fmt.Errorf("route selection expression: body path deeper than %d", maxPathDepth)
	}
	for _, f := range fields {
		if f == "" {
			return nil, fmt.Errorf("route selection expression: empty field in path %q", p)
		}
		if strings.ContainsAny(f, "${} \t\r\n") {
			return nil, fmt.Errorf("route selection expression: invalid field %q", f)
		}
	}
	return fields, nil
}

// Select evaluates the expression against a message body. ok is false when the body is not a
// JSON object or a referenced field is missing or not a scalar: the caller then uses $default.
func (s *Selector) Select(body []byte) (key string, ok bool) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
		return "", false
	}
	var b strings.Builder
	for _, p := range s.parts {
		if p.path == nil {
			b.WriteString(p.literal)
			continue
		}
		v, found := lookup(doc, p.path)
		if !found {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
}

func lookup(doc map[string]any, path []string) (string, bool) {
	var cur any = doc
	for _, f := range path {
		m, isObj := cur.(map[string]any)
		if !isObj {
			return "", false
		}
		cur, isObj = m[f]
		if !isObj {
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	default: // null, object, array
		return "", false
	}
}
