package edge

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/vtl"
)

// Passthrough behaviours of a non-proxy integration.
const (
	passWhenNoMatch     = "WHEN_NO_MATCH"
	passWhenNoTemplates = "WHEN_NO_TEMPLATES"
	passNever           = "NEVER"
)

// maxSelectionPattern bounds a selection pattern (AWS: 1024 characters).
const maxSelectionPattern = 1024

// dataPlane is what a route needs beyond the proxy path, compiled once per deployment:
// validation, parameter mapping, mapping templates and integration responses.
type dataPlane struct {
	// validation (REST request validators)
	required     []requiredParam
	bodySchemas  map[string]*jsonschema.Schema // by content type
	validateBody bool

	// non-proxy integrations (NATS, HTTP, MOCK)
	nonProxy     bool
	passthrough  string
	reqTemplates map[string]*vtl.Template // by content type, lower case
	reqParams    []paramMapping
	// restrictedParam is a header a request parameter may not set (AWS answers 500)
	restrictedParam string
	responses       []*integrationResponse // with a selection pattern, in a stable order
	defaultResp     *integrationResponse

	// HTTP APIs
	httpMapping *httpMapping
}

// requiredParam is a method request parameter marked required.
type requiredParam struct {
	source string // path, querystring, header
	name   string
}

// paramMapping is one integration.request.{source}.{name} = expression.
type paramMapping struct {
	target string // header, querystring, path
	name   string
	expr   string // method.request.{source}.{name}, 'literal', stageVariables.x, context.x
}

// integrationResponse is one compiled integration response.
type integrationResponse struct {
	status    int
	pattern   *regexp.Regexp
	params    map[string]string // method.response.header.X -> expression
	templates map[string]*vtl.Template
	convert   string // contentHandling: CONVERT_TO_TEXT, CONVERT_TO_BINARY or "" (passthrough)
}

// prepareDataPlane compiles a target's data plane and Lambda function name. Errors are reported, the
// route keeps serving what compiled.
func (st *stageState) prepareDataPlane(t *target) error {
	in := t.integration
	if in == nil {
		return nil
	}
	if (in.Type == model.IntegrationAWSProxy || in.Type == model.IntegrationAWS && strings.Contains(in.URI, ":lambda:")) &&
		!strings.Contains(in.URI, "${") {
		t.lambdaFunction = lambdaFunction(in.URI)
	}
	dp := &dataPlane{}
	var errs []error
	if m := t.method_; m != nil {
		if err := dp.compileValidation(st.api, m); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.routeKey, err))
		}
	}
	if st.protocol() == model.ProtocolHTTP {
		if st.cors == nil && st.api.CorsConfiguration != nil {
			st.cors = compileCors(st.api.CorsConfiguration)
		}
		if in.Type != model.IntegrationAWS && (len(in.RequestParameters) > 0 || len(in.ResponseParameters) > 0) {
			m, err := compileHTTPMapping(in)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", t.routeKey, err))
			}
			dp.httpMapping = m
		}
	}
	nonProxy := in.Type == model.IntegrationAWS && st.protocol() == model.ProtocolREST
	switch in.Type {
	case model.IntegrationNATS, model.IntegrationHTTP, model.IntegrationMock:
		nonProxy = true
	}
	switch {
	case nonProxy:
		if err := dp.compileIntegration(in); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.routeKey, err))
		}
	case in.Type == model.IntegrationHTTPProxy && st.protocol() == model.ProtocolREST:
		// AWS applies a REST HTTP_PROXY integration's request parameters to the proxied request
		if err := dp.compileRequestParams(in); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.routeKey, err))
		}
	}
	if dp.nonProxy || len(dp.required) > 0 || dp.validateBody || dp.httpMapping != nil || len(dp.reqParams) > 0 {
		t.dataPlane = dp
	}
	return errors.Join(errs...)
}

func (dp *dataPlane) compileIntegration(in *model.Integration) error {
	dp.nonProxy = true
	dp.passthrough = strings.ToUpper(in.PassthroughBehavior)
	if dp.passthrough == "" {
		dp.passthrough = passWhenNoMatch
	}
	var errs []error
	if len(in.RequestTemplates) > 0 {
		dp.reqTemplates = make(map[string]*vtl.Template, len(in.RequestTemplates))
		for ct, src := range in.RequestTemplates {
			tmpl, err := vtl.Compile(src)
			if err != nil {
				errs = append(errs, fmt.Errorf("request template %s: %w", ct, err))
				continue
			}
			dp.reqTemplates[strings.ToLower(ct)] = tmpl
		}
	}
	if err := dp.compileRequestParams(in); err != nil {
		errs = append(errs, err)
	}
	keys := make([]string, 0, len(in.IntegrationResponses))
	for k := range in.IntegrationResponses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ir := in.IntegrationResponses[k]
		code := ir.StatusCode
		if code == "" {
			code = k
		}
		status, err := strconv.Atoi(code)
		if err != nil || status < 100 || status > 599 {
			errs = append(errs, fmt.Errorf("integration response %q: bad status code", k))
			continue
		}
		c := &integrationResponse{status: status, params: ir.ResponseParameters, convert: strings.ToUpper(ir.ContentHandling)}
		if len(ir.ResponseTemplates) > 0 {
			c.templates = make(map[string]*vtl.Template, len(ir.ResponseTemplates))
			for ct, src := range ir.ResponseTemplates {
				tmpl, err := vtl.Compile(src)
				if err != nil {
					errs = append(errs, fmt.Errorf("response template %s %s: %w", k, ct, err))
					continue
				}
				c.templates[strings.ToLower(ct)] = tmpl
			}
		}
		if ir.SelectionPattern == "" || ir.SelectionPattern == "default" {
			if dp.defaultResp == nil {
				dp.defaultResp = c
			}
			continue
		}
		if len(ir.SelectionPattern) > maxSelectionPattern {
			errs = append(errs, fmt.Errorf("integration response %q: selection pattern too long", k))
			continue
		}
		re, err := regexp.Compile(`^(?s:` + ir.SelectionPattern + `)$`) // Java's String.matches: the whole string
		if err != nil {
			errs = append(errs, fmt.Errorf("integration response %q: selection pattern: %w", k, err))
			continue
		}
		c.pattern = re
		dp.responses = append(dp.responses, c)
	}
	return errors.Join(errs...)
}

// compileRequestParams compiles a REST integration's integration.request.{header|querystring|path}
// parameters, in a stable order.
func (dp *dataPlane) compileRequestParams(in *model.Integration) error {
	var errs []error
	for k, v := range in.RequestParameters {
		rest, ok := strings.CutPrefix(k, "integration.request.")
		if !ok {
			errs = append(errs, fmt.Errorf("request parameter %q: want integration.request.{header|querystring|path}.name", k))
			continue
		}
		target, name, ok := strings.Cut(rest, ".")
		if !ok || name == "" || (target != "header" && target != "querystring" && target != "path") {
			errs = append(errs, fmt.Errorf("request parameter %q: want integration.request.{header|querystring|path}.name", k))
			continue
		}
		dp.reqParams = append(dp.reqParams, paramMapping{target: target, name: name, expr: v})
	}
	sort.Slice(dp.reqParams, func(i, j int) bool {
		a, b := dp.reqParams[i], dp.reqParams[j]
		return a.target+"."+a.name < b.target+"."+b.name
	})
	for _, p := range dp.reqParams {
		if p.target == "header" && restrictedRequestHeader(in.Type, p.name) && dp.restrictedParam == "" {
			dp.restrictedParam = p.name
		}
	}
	return errors.Join(errs...)
}

// selectResponse picks the integration response whose pattern matches s, else the default.
func (dp *dataPlane) selectResponse(s string) *integrationResponse {
	for _, c := range dp.responses {
		if c.pattern.MatchString(s) {
			return c
		}
	}
	return dp.defaultResp
}

// templateFor picks a template by content type: exact match, else nothing.
func templateFor(m map[string]*vtl.Template, contentType string) (*vtl.Template, bool) {
	ct, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	t, ok := m[strings.TrimSpace(ct)]
	return t, ok
}
