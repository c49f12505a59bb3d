package edge

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/lambdaevent"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/vtl"
	"github.com/portico/portico/pkg/wire"
)

// integrationResult is what a non-proxy integration answered, before the integration response.
type integrationResult struct {
	status   int
	header   map[string]string // integration.response.header.*
	body     []byte
	selector string // what selection patterns match: the status, or a backend's error message
}

// mappedRequest is the integration request after templates and parameter mapping.
type mappedRequest struct {
	body   []byte
	header map[string]string
	query  map[string]string
	path   map[string]string
}

// methodParams are the method request parameters as templates and mappings see them.
func methodParams(r *request) (path, query, header map[string]string) {
	c := r.ctx
	path = make(map[string]string, len(r.params))
	for _, p := range r.params {
		path[p.Name] = p.Value
	}
	query = map[string]string{}
	for k, v := range c.URI().QueryArgs().All() {
		query[string(k)] = string(v) // the last value wins, as API Gateway
	}
	header = map[string]string{}
	for k, v := range c.Request.Header.All() {
		if !wire.IsReserved(string(k)) {
			header[string(k)] = string(v)
		}
	}
	return path, query, header
}

// contextVars is $context for templates and mappings.
func (s *Service) contextVars(r *request) map[string]any { return contextVarsFor(r) }

func contextVarsFor(r *request) map[string]any {
	c := r.ctx
	now := time.Now()
	host := string(c.Host())
	prefix := domainPrefix(r)
	identity := map[string]any{"sourceIp": c.RemoteIP().String(), "userAgent": string(c.UserAgent()),
		"accountId": "", "caller": "", "user": "", "userArn": ""}
	if cc := clientCert(c); cc != nil {
		identity["clientCert"] = cc
	}
	if r.decision.APIKeyID != "" {
		identity["apiKeyId"] = r.decision.APIKeyID
		identity["apiKey"] = string(c.Request.Header.Peek("x-api-key"))
	}
	auth := map[string]any{}
	if r.t.auth.jwt != nil {
		// a JWT (Cognito-style) authorizer's claims: $context.authorizer.claims.email
		claims := make(map[string]any, len(r.decision.Context))
		for k, v := range r.decision.Context {
			claims[k] = v
		}
		auth["claims"] = claims
	} else {
		for k, v := range r.decision.Context {
			auth[k] = v
		}
	}
	if r.decision.PrincipalID != "" {
		auth["principalId"] = r.decision.PrincipalID
	}
	return map[string]any{
		"requestId":         r.id,
		"extendedRequestId": r.id,
		"apiId":             r.st.apiID,
		"accountId":         accountID,
		"stage":             r.st.name,
		"deploymentId":      r.st.deploymentID,
		"resourcePath":      r.t.resourcePath,
		"resourceId":        r.t.resourceID,
		"routeKey":          r.t.routeKey,
		"httpMethod":        string(c.Method()),
		"path":              "/" + r.st.name + r.path,
		"protocol":          "HTTP/1.1",
		"domainName":        host,
		"domainPrefix":      prefix,
		"requestTime":       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		"requestTimeEpoch":  now.UnixMilli(),
		"identity":          identity,
		"authorizer":        auth,
		"isCanaryRequest":   r.st.isCanary,
	}
}

// domainPrefix is $context.domainPrefix: the first label of the Host, except for a
// path-style request (/restapis/{api}/{stage}/_user_request_/...) or an IP Host, where it is
// the API id, as AWS's execute-api host {api}.execute-api.{region}.amazonaws.com gives it.
func domainPrefix(r *request) string {
	c := r.ctx
	host := string(c.Host())
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if bytes.HasPrefix(c.URI().PathOriginal(), []byte(pathStylePrefix)) || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return r.st.apiID
	}
	prefix, _, _ := strings.Cut(host, ".")
	return prefix
}

// lookupContext reads a dotted path (authorizer.claims.sub) from $context.
func lookupContext(ctx map[string]any, path string) (string, bool) {
	var cur any = ctx
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = m[part]; !ok {
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case int64:
		return strconv.FormatInt(v, 10), true
	case nil:
		return "", false
	default:
		b, _ := json.Marshal(v)
		return string(b), true
	}
}

// mapValue evaluates a mapping expression: 'literal', method.request.{path|querystring|header}.x,
// method.request.body, stageVariables.x, context.x; for responses also
// integration.response.header.x and integration.response.body.
func mapValue(expr string, vars *vtl.Vars, res *integrationResult) (string, bool) {
	if len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'' {
		return expr[1 : len(expr)-1], true
	}
	if rest, ok := strings.CutPrefix(expr, "method.request."); ok {
		source, name, _ := strings.Cut(rest, ".")
		var m map[string]string
		switch source {
		case "path":
			m = vars.Path
		case "querystring", "multivaluequerystring":
			m = vars.Query
		case "header", "multivalueheader":
			for k, v := range vars.Header {
				if strings.EqualFold(k, name) {
					return v, true
				}
			}
			return "", false
		case "body":
			if name == "" {
				return string(vars.Body), true
			}
			return "", false
		}
		v, ok := m[name]
		return v, ok
	}
	if name, ok := strings.CutPrefix(expr, "stageVariables."); ok {
		v, ok := vars.StageVariables[name]
		return v, ok
	}
	if path, ok := strings.CutPrefix(expr, "context."); ok {
		return lookupContext(vars.Context, path)
	}
	if res != nil {
		if name, ok := strings.CutPrefix(expr, "integration.response.header."); ok {
			for k, v := range res.header {
				if strings.EqualFold(k, name) {
					return v, true
				}
			}
			return "", false
		}
		if expr == "integration.response.body" {
			return string(res.body), true
		}
	}
	return "", false
}

// nonProxy runs a NATS, HTTP or MOCK integration with mapping templates, parameter mapping and
// integration responses.
func (s *Service) nonProxy(ctx context.Context, r *request) {
	dp := r.t.dataPlane
	if dp == nil || !dp.nonProxy {
		s.gatewayError(r, gw.APIConfigurationError, "")
		return
	}
	c := r.ctx
	path, query, header := methodParams(r)
	vars := &vtl.Vars{Body: c.Request.Body(), Path: path, Query: query, Header: header,
		Context: s.contextVars(r), StageVariables: r.st.stage.Variables}

	ct := string(c.Request.Header.ContentType())
	if ct == "" {
		ct = "application/json"
	}
	mr := mappedRequest{body: c.Request.Body(), header: map[string]string{}, query: map[string]string{}, path: map[string]string{}}
	binary := lambdaevent.MatchMediaType(ct, r.st.api.BinaryMediaTypes)
	converted, err := convertContent(mr.body, binary, r.t.integration.ContentHandling)
	if err != nil {
		s.gatewayError(r, gw.APIConfigurationError, "")
		return
	}
	mr.body, vars.Body = converted, converted
	var reqOv *vtl.Overrides
	tmpl, found := templateFor(dp.reqTemplates, ct)
	switch {
	case found:
		out, ov, err := tmpl.Render(ctx, vars)
		if err != nil {
			s.log.Warn("request template failed", "request_id", r.id, "route", r.t.routeKey, "err", err)
			s.gatewayError(r, gw.APIConfigurationError, "")
			return
		}
		mr.body, reqOv = []byte(out), ov
	case dp.passthrough == passNever, dp.passthrough == passWhenNoTemplates && len(dp.reqTemplates) > 0:
		s.gatewayError(r, gw.UnsupportedMediaType, "")
		return
	}
	dp.mapRequestParams(vars, &mr)
	if reqOv != nil { // $context.requestOverride wins over the parameter mapping
		applyOverrides(&mr, reqOv)
	}

	var res integrationResult
	var ok bool
	switch r.t.integration.Type {
	case model.IntegrationMock:
		res, ok = mockResult(mr.body), true
	case model.IntegrationHTTP:
		res, ok = s.httpIntegration(ctx, r, &mr)
	case model.IntegrationNATS:
		res, ok = s.natsIntegration(ctx, r, &mr)
	case model.IntegrationAWS:
		res, ok = s.awsREST(ctx, r, &mr)
	}
	if !ok {
		return
	}
	s.integrationResponse(ctx, r, vars, &res)
}

// mapRequestParams evaluates the integration request parameters into mr.
func (dp *dataPlane) mapRequestParams(vars *vtl.Vars, mr *mappedRequest) {
	for _, p := range dp.reqParams {
		v, ok := mapValue(p.expr, vars, nil)
		if !ok {
			continue
		}
		switch p.target {
		case "header":
			mr.header[p.name] = v
		case "querystring":
			mr.query[p.name] = v
		case "path":
			mr.path[p.name] = v
		}
	}
}

func applyOverrides(mr *mappedRequest, ov *vtl.Overrides) {
	for k, v := range ov.RequestHeader {
		mr.header[k] = v
	}
	for k, v := range ov.RequestQuery {
		mr.query[k] = v
	}
	for k, v := range ov.RequestPath {
		mr.path[k] = v
	}
}

// mockResult reads the status a MOCK integration answers from its request template's output
// ({"statusCode": 200}); 200 when absent.
func mockResult(body []byte) integrationResult {
	status := 200
	var v struct {
		StatusCode json.RawMessage `json:"statusCode"`
	}
	if json.Unmarshal(body, &v) == nil && len(v.StatusCode) > 0 {
		if n, err := strconv.Atoi(strings.Trim(string(v.StatusCode), `"`)); err == nil && n >= 100 && n <= 599 {
			status = n
		}
	}
	return integrationResult{status: status, selector: strconv.Itoa(status)}
}

// httpIntegration calls an HTTP (non-proxy) backend: the uri with stage variables and mapped
// path parameters, mapped headers and query string, the mapped body.
func (s *Service) httpIntegration(ctx context.Context, r *request, mr *mappedRequest) (integrationResult, bool) {
	in := r.t.integration
	uri := in.URI
	for k, v := range r.st.stage.Variables {
		uri = strings.ReplaceAll(uri, "${stageVariables."+k+"}", v)
	}
	for k, v := range mr.path {
		uri = strings.ReplaceAll(uri, "{"+k+"}", url.PathEscape(v))
		uri = strings.ReplaceAll(uri, "{"+k+"+}", v)
	}
	if len(mr.query) > 0 {
		uri = appendQuery(uri, encodeQuery(mr.query))
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(uri)
	method := in.HTTPMethod
	if method == "" || method == "ANY" {
		method = string(r.ctx.Method())
	}
	req.Header.SetMethod(method)
	// AWS sends no client header, only mapped ones over these defaults (recorded in
	// LocalStack's test_apigateway_header_remapping_http and test_apigateway_http snapshots).
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "AmazonAPIGateway_"+r.st.apiID)
	req.Header.Set("X-Amzn-Apigateway-Api-Id", r.st.apiID)
	if len(mr.body) > 0 {
		req.Header.SetContentType("application/json")
	}
	for k, v := range mr.header {
		if !droppedIntegrationHeaders[strings.ToLower(k)] {
			req.Header.Set(k, v)
		}
	}
	req.SetBodyRaw(mr.body)
	_, span := s.tracer.Start(ctx, "http "+method, trace.WithSpanKind(trace.SpanKindClient))
	err := s.client.DoTimeout(req, resp, s.timeout(in))
	span.End()
	if err != nil {
		if errors.Is(err, fasthttp.ErrTimeout) {
			s.timedOut(r)
			return integrationResult{}, false
		}
		s.log.Warn("http integration failed", "request_id", r.id, "err", err)
		s.gatewayError(r, gw.IntegrationFailure, "Internal server error")
		r.ctx.Response.SetStatusCode(fasthttp.StatusInternalServerError)
		return integrationResult{}, false
	}
	res := integrationResult{status: resp.StatusCode(), header: map[string]string{},
		body: append([]byte(nil), resp.Body()...)}
	res.selector = strconv.Itoa(res.status)
	for k, v := range resp.Header.All() {
		res.header[string(k)] = string(v)
	}
	return res, true
}

// natsIntegration sends the mapped request as a native message (pkg/wire headers, the mapped
// headers, the mapped body). A micro error reply's description is what selection patterns
// match (as a Lambda error message on AWS); otherwise the status.
func (s *Service) natsIntegration(ctx context.Context, r *request, mr *mappedRequest) (integrationResult, bool) {
	in := r.t.integration
	subject := in.URI
	for k, v := range r.st.stage.Variables {
		subject = strings.ReplaceAll(subject, "${stageVariables."+k+"}", v)
	}
	msg := nats.NewMsg(subject)
	h := msg.Header
	for k, v := range mr.header {
		if !wire.IsReserved(k) {
			h.Set(k, v)
		}
	}
	h[wire.HeaderMethod] = []string{string(r.ctx.Method())}
	h[wire.HeaderPath] = []string{r.path}
	h[wire.HeaderResourcePath] = []string{r.t.resourcePath}
	h[wire.HeaderRouteKey] = []string{r.t.routeKey}
	if len(mr.path) > 0 {
		v := url.Values{}
		for k, x := range mr.path {
			v.Set(k, x)
		}
		h[wire.HeaderPathParams] = []string{v.Encode()}
	}
	if len(mr.query) > 0 {
		v := url.Values{}
		for k, x := range mr.query {
			v.Set(k, x)
		}
		h[wire.HeaderQuery] = []string{v.Encode()}
	}
	h[wire.HeaderAPIID] = []string{r.st.apiID}
	h[wire.HeaderStage] = []string{r.st.name}
	h[wire.HeaderRequestID] = []string{r.id}
	h[wire.HeaderSourceIP] = []string{r.ctx.RemoteIP().String()}
	if r.decision.PrincipalID != "" {
		h[wire.HeaderPrincipalID] = []string{r.decision.PrincipalID}
	}
	msg.Data = mr.body
	ictx, span := s.tracer.Start(ctx, "nats "+subject, trace.WithSpanKind(trace.SpanKindClient))
	telemetry.Inject(ictx, msg)
	reply, err := s.deps.NATS.RequestMsg(msg, s.timeout(in))
	span.End()
	if err != nil {
		s.busFailed(r, err, "nats "+subject, func() {
			s.gatewayError(r, gw.IntegrationFailure, "")
			r.ctx.Response.SetStatusCode(fasthttp.StatusBadGateway)
		})
		return integrationResult{}, false
	}
	res := integrationResult{status: 200, header: map[string]string{}, body: reply.Data}
	for k, vs := range reply.Header {
		if len(vs) > 0 && !wire.IsReserved(k) && !strings.HasPrefix(k, "Nats-") {
			res.header[k] = vs[len(vs)-1]
		}
	}
	if code := reply.Header.Get(wire.HeaderServiceErrorCode); code != "" {
		if n, err := strconv.Atoi(code); err == nil && n >= 100 && n <= 599 {
			res.status = n
		} else {
			res.status = 500
		}
		res.selector = reply.Header.Get(wire.HeaderServiceError)
		return res, true
	}
	if v := reply.Header.Get(wire.HeaderStatus); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 100 && n <= 599 {
			res.status = n
		}
	}
	res.selector = strconv.Itoa(res.status)
	return res, true
}

// integrationResponse selects the integration response, maps its parameters, renders its
// template and writes the method response.
func (s *Service) integrationResponse(ctx context.Context, r *request, reqVars *vtl.Vars, res *integrationResult) {
	dp := r.t.dataPlane
	ir := dp.selectResponse(res.selector)
	if ir == nil {
		s.log.Warn("no integration response matches and no default", "request_id", r.id, "route", r.t.routeKey)
		s.gatewayError(r, gw.APIConfigurationError, "")
		return
	}
	c := r.ctx
	vars := *reqVars
	vars.Body = res.body
	status := ir.status
	body := res.body
	contentType := "application/json"
	var ov *vtl.Overrides
	if len(ir.templates) > 0 {
		ct, tmpl := pickResponseTemplate(ir.templates, string(c.Request.Header.Peek("Accept")))
		out, o, err := tmpl.Render(ctx, &vars)
		if err != nil {
			s.log.Warn("response template failed", "request_id", r.id, "route", r.t.routeKey, "err", err)
			s.gatewayError(r, gw.APIConfigurationError, "")
			return
		}
		body, contentType, ov = []byte(out), ct, o
	}
	if ir.convert != "" {
		// The integration's payload is text unless its content type is a binary media type.
		binary := lambdaevent.MatchMediaType(res.header["Content-Type"], r.st.api.BinaryMediaTypes)
		converted, err := convertContent(body, binary, ir.convert)
		if err != nil {
			s.log.Warn("response content conversion failed", "request_id", r.id, "route", r.t.routeKey, "err", err)
			s.gatewayError(r, gw.APIConfigurationError, "")
			return
		}
		body = converted
	}
	c.Response.Header.SetContentType(contentType)
	setHeader := c.Response.Header.Set
	if r.st.protocol() == model.ProtocolREST {
		setHeader = func(k, v string) { setIntegrationHeader(&c.Response.Header, k, v) }
	}
	names := make([]string, 0, len(ir.params))
	for k := range ir.params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		name, ok := strings.CutPrefix(k, "method.response.header.")
		if !ok {
			continue
		}
		if v, ok := mapValue(ir.params[k], &vars, res); ok {
			setHeader(name, v)
		}
	}
	if ov != nil {
		if ov.ResponseStatus != 0 {
			status = ov.ResponseStatus
		}
		for k, v := range ov.ResponseHeader {
			setHeader(k, v)
		}
	}
	c.Response.Header.Set("x-amzn-RequestId", r.id)
	c.Response.SetStatusCode(status)
	c.Response.SetBody(body)
}

// pickResponseTemplate chooses a response template: the one matching the Accept header, else
// application/json, else the first by name.
func pickResponseTemplate(m map[string]*vtl.Template, accept string) (string, *vtl.Template) {
	for _, part := range strings.Split(accept, ",") {
		if t, ok := m[mediaType(part)]; ok {
			return mediaType(part), t
		}
	}
	if t, ok := m["application/json"]; ok {
		return "application/json", t
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys[0], m[keys[0]]
}

// Content handling of non-proxy integrations.
const (
	convertToText   = "CONVERT_TO_TEXT"
	convertToBinary = "CONVERT_TO_BINARY"
)

// convertContent applies contentHandling to a payload: CONVERT_TO_TEXT base64-encodes a binary
// payload, CONVERT_TO_BINARY base64-decodes a text one; otherwise the payload passes as is.
func convertContent(body []byte, binary bool, handling string) ([]byte, error) {
	switch strings.ToUpper(handling) {
	case convertToText:
		if binary {
			out := make([]byte, base64.StdEncoding.EncodedLen(len(body)))
			base64.StdEncoding.Encode(out, body)
			return out, nil
		}
	case convertToBinary:
		if !binary {
			out := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
			n, err := base64.StdEncoding.Decode(out, bytes.TrimSpace(body))
			if err != nil {
				return nil, fmt.Errorf("base64 decoding: %w", err)
			}
			return out[:n], nil
		}
	}
	return body, nil
}
