package edge

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/portico/portico/pkg/jsonpath"
	"github.com/portico/portico/pkg/model"
)

// HTTP API parameter mapping: request parameters "{append|overwrite|remove}:{header|querystring}.name"
// and "overwrite:path"; response parameters by status code, "overwrite:statuscode" and
// "{append|overwrite|remove}:header.name". Values are static text with ${...} references, or
// a single reference: $request.header.x, $request.querystring.x, $request.path.x,
// $context.x, $stageVariables.x, and in responses $response.header.x.

// paramOp is one mapping operation.
type paramOp struct {
	action string // append, overwrite, remove
	target string // header, querystring, path, statuscode
	name   string
	value  string
}

// httpMapping is an HTTP API integration's parameter mapping, compiled once per deployment.
type httpMapping struct {
	request  []paramOp
	response map[int][]paramOp
}

func parseParamOp(key, value string, response bool) (paramOp, error) {
	action, rest, ok := strings.Cut(key, ":")
	if !ok || (action != "append" && action != "overwrite" && action != "remove") {
		return paramOp{}, fmt.Errorf("parameter mapping %q: want {append|overwrite|remove}:target", key)
	}
	op := paramOp{action: action, value: value}
	switch {
	case rest == "path" && !response && action == "overwrite":
		op.target = "path"
	case rest == "statuscode" && response && action == "overwrite":
		op.target = "statuscode"
	default:
		target, name, ok := strings.Cut(rest, ".")
		if !ok || name == "" || (target != "header" && !(target == "querystring" && !response)) {
			return paramOp{}, fmt.Errorf("parameter mapping %q: unsupported target", key)
		}
		op.target, op.name = target, name
	}
	return op, nil
}

func compileHTTPMapping(in *model.Integration) (*httpMapping, error) {
	m := &httpMapping{}
	var errs []string
	keys := make([]string, 0, len(in.RequestParameters))
	for k := range in.RequestParameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		op, err := parseParamOp(k, in.RequestParameters[k], false)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		m.request = append(m.request, op)
	}
	for code, params := range in.ResponseParameters {
		status, err := strconv.Atoi(code)
		if err != nil || status < 100 || status > 599 {
			errs = append(errs, fmt.Sprintf("response parameters for %q: not a status code", code))
			continue
		}
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			op, err := parseParamOp(k, params[k], true)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			if m.response == nil {
				m.response = map[int][]paramOp{}
			}
			m.response[status] = append(m.response[status], op)
		}
	}
	if len(errs) > 0 {
		return m, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return m, nil
}

// mappingSource resolves references while mapping.
type mappingSource struct {
	r        *request
	response bool
	ctxVars  map[string]any
}

func (src *mappingSource) ref(name string) string {
	r := src.r
	c := r.ctx
	switch {
	case strings.HasPrefix(name, "request.header."): // repeated headers joined with commas
		return joinValues(c.Request.Header.PeekAll(strings.TrimPrefix(name, "request.header.")))
	case strings.HasPrefix(name, "request.querystring."):
		return joinValues(c.URI().QueryArgs().PeekMulti(strings.TrimPrefix(name, "request.querystring.")))
	case strings.HasPrefix(name, "request.body."):
		return bodyPath(c.Request.Body(), strings.TrimPrefix(name, "request.body."))
	case strings.HasPrefix(name, "request.path."):
		want := strings.TrimPrefix(name, "request.path.")
		for _, p := range r.params {
			if p.Name == want {
				return p.Value
			}
		}
	case name == "request.path":
		return r.path
	case name == "request.body":
		return string(c.Request.Body())
	case strings.HasPrefix(name, "response.header.") && src.response:
		return string(c.Response.Header.Peek(strings.TrimPrefix(name, "response.header.")))
	case strings.HasPrefix(name, "stageVariables."):
		return r.st.stage.Variables[strings.TrimPrefix(name, "stageVariables.")]
	case strings.HasPrefix(name, "context."):
		if src.ctxVars == nil {
			src.ctxVars = contextVarsFor(r)
		}
		v, _ := lookupContext(src.ctxVars, strings.TrimPrefix(name, "context."))
		return v
	}
	return ""
}

func joinValues(vs [][]byte) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return string(vs[0])
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = string(v)
	}
	return strings.Join(parts, ",")
}

// maxMappedBody is how much of a body $request.body.x looks at (AWS: 100 KB).
const maxMappedBody = 100 << 10

// bodyPath evaluates a JSONPath (without "$.") over a JSON body; strings render as is, other
// values as JSON.
func bodyPath(body []byte, path string) string {
	if len(body) > maxMappedBody || strings.Contains(path, "..") || strings.Contains(path, "?(") {
		return ""
	}
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	v, err := jsonpath.Get(doc, "$."+path)
	if err != nil || v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// eval renders a mapping value: text with $reference or ${reference} parts, where a
// reference starts with request., response., context. or stageVariables.
func (src *mappingSource) eval(v string) string {
	if !strings.Contains(v, "$") {
		return v
	}
	var b strings.Builder
	for v != "" {
		i := strings.IndexByte(v, '$')
		if i < 0 || i == len(v)-1 {
			b.WriteString(v)
			break
		}
		b.WriteString(v[:i])
		v = v[i+1:]
		var name string
		if v[0] == '{' {
			j := strings.IndexByte(v, '}')
			if j < 0 {
				b.WriteString("$" + v)
				break
			}
			name, v = v[1:j], v[j+1:]
			if !isReference(name) {
				b.WriteString("${" + name + "}")
				continue
			}
		} else {
			j := 0
			for j < len(v) && (isNameByte(v[j]) || v[j] == '.') {
				j++
			}
			name, v = strings.TrimRight(v[:j], "."), v[len(strings.TrimRight(v[:j], ".")):]
		}
		if !isReference(name) {
			b.WriteString("$" + name)
			continue
		}
		b.WriteString(src.ref(name))
	}
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isReference(name string) bool {
	for _, p := range []string{"request.", "response.", "context.", "stageVariables."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// mapHTTPRequest applies an HTTP API's request parameter mapping to the request before the
// integration sees it.
func (s *Service) mapHTTPRequest(r *request) {
	dp := r.t.dataPlane
	if dp == nil || dp.httpMapping == nil || len(dp.httpMapping.request) == 0 {
		return
	}
	c := r.ctx
	src := &mappingSource{r: r}
	// Evaluate every value against the original request first, as AWS does.
	values := make([]string, len(dp.httpMapping.request))
	for i, op := range dp.httpMapping.request {
		values[i] = src.eval(op.value)
	}
	args := c.URI().QueryArgs()
	queryChanged := false
	for i, op := range dp.httpMapping.request {
		v := values[i]
		switch op.target {
		case "header":
			switch op.action {
			case "append":
				c.Request.Header.Add(op.name, v)
			case "overwrite":
				c.Request.Header.Set(op.name, v)
			case "remove":
				c.Request.Header.Del(op.name)
			}
		case "querystring":
			queryChanged = true
			switch op.action {
			case "append":
				args.Add(op.name, v)
			case "overwrite":
				args.Set(op.name, v)
			case "remove":
				args.Del(op.name)
			}
		case "path":
			if !strings.HasPrefix(v, "/") {
				v = "/" + v
			}
			r.path, r.pathOverride = v, v
		}
	}
	if queryChanged {
		c.URI().SetQueryStringBytes(args.QueryString())
	}
}

// mapHTTPResponse applies an HTTP API's response parameter mapping for the response's status.
func (s *Service) mapHTTPResponse(r *request) {
	dp := r.t.dataPlane
	if dp == nil || dp.httpMapping == nil || len(dp.httpMapping.response) == 0 {
		return
	}
	c := r.ctx
	ops := dp.httpMapping.response[c.Response.StatusCode()]
	if len(ops) == 0 {
		return
	}
	src := &mappingSource{r: r, response: true}
	values := make([]string, len(ops))
	for i, op := range ops {
		values[i] = src.eval(op.value)
	}
	for i, op := range ops {
		v := values[i]
		switch op.target {
		case "statuscode":
			if n, err := strconv.Atoi(v); err == nil && n >= 100 && n <= 599 {
				c.Response.SetStatusCode(n)
			}
		case "header":
			switch op.action {
			case "append":
				c.Response.Header.Add(op.name, v)
			case "overwrite":
				c.Response.Header.Set(op.name, v)
			case "remove":
				c.Response.Header.Del(op.name)
			}
		}
	}
}

// withPath replaces the path of an integration URL (overwrite:path).
func withPath(uri, path string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	u.Path, u.RawPath = path, ""
	return u.String()
}
