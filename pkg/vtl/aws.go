package vtl

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/portico/portico/pkg/jsonpath"
)

// Vars is what a request or response template sees: the API Gateway
// variables $input, $context, $stageVariables and $util. Executing a
// template never modifies a Vars (templates work on copies), so one Vars
// may be used by several executions, also concurrently.
type Vars struct {
	// Body is the payload ($input.body, and the document $input.path and
	// $input.json query).
	Body []byte
	// Path, Query and Header are the method request parameters
	// ($input.params()); for a repeated query parameter or header the
	// caller picks one value (API Gateway keeps the last). Lookups by
	// $input.params(name) fall back to a case-insensitive header match.
	Path   map[string]string
	Query  map[string]string
	Header map[string]string
	// Context is $context: any nested map[string]any / []any / scalars.
	// The template may set $context.requestOverride.{header,querystring,
	// path}.NAME and $context.responseOverride.{status,header.NAME}; the
	// result comes back as Overrides. Context itself is not modified.
	Context map[string]any
	// StageVariables is $stageVariables.
	StageVariables map[string]string
	// Extra variables, visible as $name (e.g. "method" for tests); they
	// are normalised like Context.
	Extra map[string]any
	// Limits bound the execution; zero fields take DefaultLimits.
	Limits Limits
}

// Overrides is what the template set under $context.requestOverride and
// $context.responseOverride. Empty maps and Status 0 mean "not set".
type Overrides struct {
	RequestHeader  map[string]string
	RequestQuery   map[string]string
	RequestPath    map[string]string
	ResponseStatus int
	ResponseHeader map[string]string
}

// bind installs the variables into a fresh executor and returns the
// $context map to read the overrides from afterwards.
func (v *Vars) bind(e *executor) *Map {
	for k, x := range v.Extra {
		e.vars[k] = normalize(x, 0)
	}
	ctx, _ := normalize(v.Context, 0).(*Map)
	if ctx == nil {
		ctx = NewMap()
	}
	ensureMap(ctx, "requestOverride", "header", "querystring", "path")
	ensureMap(ctx, "responseOverride", "header")
	e.vars["context"] = ctx
	sv, _ := normalize(v.StageVariables, 0).(*Map)
	if sv == nil {
		sv = NewMap()
	}
	e.vars["stageVariables"] = sv
	e.vars["input"] = &inputObj{vars: v}
	e.vars["util"] = utilObj{}
	return ctx
}

// ensureMap makes ctx[name] a *Map holding *Map values under subs.
func ensureMap(ctx *Map, name string, subs ...string) {
	m, ok := ctx.at(name).(*Map)
	if !ok {
		m = NewMap()
		ctx.Set(name, m)
	}
	for _, s := range subs {
		if _, ok := m.at(s).(*Map); !ok {
			m.Set(s, NewMap())
		}
	}
}

func readOverrides(ctx *Map) *Overrides {
	ov := &Overrides{}
	if req, ok := ctx.at("requestOverride").(*Map); ok {
		ov.RequestHeader = stringMap(req.at("header"))
		ov.RequestQuery = stringMap(req.at("querystring"))
		ov.RequestPath = stringMap(req.at("path"))
	}
	if resp, ok := ctx.at("responseOverride").(*Map); ok {
		ov.ResponseHeader = stringMap(resp.at("header"))
		switch s := resp.at("status").(type) {
		case int64:
			ov.ResponseStatus = int(s)
		case float64:
			ov.ResponseStatus = int(s)
		case string:
			ov.ResponseStatus, _ = strconv.Atoi(strings.TrimSpace(s))
		}
		if ov.ResponseStatus < 100 || ov.ResponseStatus > 599 {
			ov.ResponseStatus = 0
		}
	}
	return ov
}

func stringMap(v any) map[string]string {
	m, ok := v.(*Map)
	if !ok || m.Len() == 0 {
		return nil
	}
	out := make(map[string]string, m.Len())
	for _, k := range m.keys {
		if x := m.at(k); x != nil {
			out[k] = toString(x)
		}
	}
	return out
}

// inputObj is $input.
type inputObj struct {
	vars   *Vars
	once   sync.Once
	doc    any
	docErr error
	params *Map
}

// document parses the body once per execution.
func (in *inputObj) document() (any, error) {
	in.once.Do(func() {
		body := strings.TrimSpace(string(in.vars.Body))
		if body == "" {
			in.doc = NewMap() // API Gateway treats an empty body as {}
			return
		}
		in.doc, in.docErr = ParseJSON([]byte(body))
	})
	return in.doc, in.docErr
}

func (in *inputObj) property(name string) any {
	switch name {
	case "body":
		return string(in.vars.Body)
	}
	return nil
}

func (in *inputObj) allParams() *Map {
	if in.params == nil {
		m := NewMap()
		m.Set("path", normalize(nonNil(in.vars.Path), 0))
		m.Set("querystring", normalize(nonNil(in.vars.Query), 0))
		m.Set("header", normalize(nonNil(in.vars.Header), 0))
		in.params = m
	}
	return in.params
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (in *inputObj) param(name string) any {
	if v, ok := in.vars.Path[name]; ok {
		return v
	}
	if v, ok := in.vars.Query[name]; ok {
		return v
	}
	if v, ok := in.vars.Header[name]; ok {
		return v
	}
	for k, v := range in.vars.Header {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

func (in *inputObj) method(e *executor, name string, args []any) (any, error) {
	switch name {
	case "getBody":
		return string(in.vars.Body), nil
	case "params":
		switch len(args) {
		case 0:
			return in.allParams(), nil
		case 1:
			if s, ok := argString(args, 0); ok {
				return in.param(s), nil
			}
		}
		return nil, nil
	case "path", "json":
		p, ok := argString(args, 0)
		if !ok || len(args) != 1 {
			return nil, nil
		}
		doc, err := in.document()
		if err != nil {
			return nil, fmt.Errorf("$input.%s: body is not JSON: %w", name, err)
		}
		v, err := jsonpath.Get(doc, p)
		if err != nil {
			return nil, fmt.Errorf("$input.%s: %w", name, err)
		}
		if l, ok := v.([]any); ok {
			v = &List{Items: l}
		}
		if name == "path" {
			// A copy: the template may modify what it gets, and the
			// parsed document must stay as the body says.
			return copyValue(v, 0), nil
		}
		if v == nil {
			return "", nil
		}
		s := ToJSON(v)
		if err := e.charge(len(s)); err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, nil
}

// utilObj is $util.
type utilObj struct{}

func (utilObj) property(string) any { return nil }

func (utilObj) method(e *executor, name string, args []any) (any, error) {
	if len(args) != 1 {
		return nil, nil
	}
	if name == "toJson" {
		s := ToJSON(args[0])
		if err := e.charge(len(s)); err != nil {
			return nil, err
		}
		return s, nil
	}
	s, ok := argString(args, 0)
	if !ok {
		return nil, nil
	}
	switch name {
	case "escapeJavaScript":
		return escapeJavaScript(s), nil
	case "parseJson":
		v, err := ParseJSON([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("$util.parseJson: %w", err)
		}
		return v, nil
	case "urlEncode":
		return urlEncode(s), nil
	case "urlDecode":
		d, err := url.QueryUnescape(s)
		if err != nil {
			return nil, fmt.Errorf("$util.urlDecode: %w", err)
		}
		return d, nil
	case "base64Encode":
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "base64Decode":
		d, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("$util.base64Decode: %w", err)
		}
		return string(d), nil
	}
	return nil, nil
}

// escapeJavaScript escapes like Apache Commons Lang 2
// StringEscapeUtils.escapeJavaScript, which API Gateway uses: quotes,
// backslash and slash are backslash-escaped, control characters use \b \t
// \n \f \r or \u00XX, and every non-ASCII UTF-16 unit becomes \uXXXX.
func escapeJavaScript(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	const hex = "0123456789ABCDEF"
	unit := func(u uint16) {
		b.WriteString(`\u`)
		b.WriteByte(hex[u>>12&0xf])
		b.WriteByte(hex[u>>8&0xf])
		b.WriteByte(hex[u>>4&0xf])
		b.WriteByte(hex[u&0xf])
	}
	for _, r := range s {
		switch {
		case r > 0xffff:
			r -= 0x10000
			unit(uint16(0xd800 + (r >> 10)))
			unit(uint16(0xdc00 + (r & 0x3ff)))
		case r > 0x7f:
			unit(uint16(r))
		case r < 0x20:
			switch r {
			case '\b':
				b.WriteString(`\b`)
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			case '\f':
				b.WriteString(`\f`)
			case '\r':
				b.WriteString(`\r`)
			default:
				unit(uint16(r))
			}
		case r == '\'' || r == '"' || r == '\\' || r == '/':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// copyValue deep-copies maps and lists (documents from JSON are trees).
func copyValue(v any, depth int) any {
	if depth > maxJSONDepth {
		return nil
	}
	switch x := v.(type) {
	case *Map:
		m := &Map{keys: append([]string(nil), x.keys...), vals: make([]any, len(x.vals))}
		for i, e := range x.vals {
			m.vals[i] = copyValue(e, depth+1)
		}
		if x.idx != nil {
			m.idx = make(map[string]int, len(x.idx))
			for k, i := range x.idx {
				m.idx[k] = i
			}
		}
		return m
	case *List:
		l := &List{Items: make([]any, len(x.Items))}
		for i, e := range x.Items {
			l.Items[i] = copyValue(e, depth+1)
		}
		return l
	}
	return v
}

// urlEncode encodes like java.net.URLEncoder with UTF-8: letters, digits
// and ".-*_" stay, space becomes '+', every other byte %XX.
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '*' || c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}
