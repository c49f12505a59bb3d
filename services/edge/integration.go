package edge

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/vtl"
	"github.com/portico/portico/pkg/wire"
)

// Integration timeout bounds, as AWS: at least 50 ms, at most 30 s (HTTP APIs; REST's default
// and usual maximum is 29 s).
const (
	minIntegrationTimeout = 50 * time.Millisecond
	maxIntegrationTimeout = 30 * time.Second
)

func (s *Service) timeout(in *model.Integration) time.Duration {
	if in.TimeoutInMillis <= 0 {
		return model.DefaultTimeoutMillis * time.Millisecond
	}
	return min(max(time.Duration(in.TimeoutInMillis)*time.Millisecond, minIntegrationTimeout), maxIntegrationTimeout)
}

func (s *Service) integrate(ctx context.Context, r *request) {
	in := r.t.integration
	start := time.Now()
	s.mapHTTPRequest(r)
	if dp := r.t.dataPlane; dp != nil && dp.restrictedParam != "" {
		// AWS accepts the mapping but answers every invocation with a 500
		s.log.Warn("integration request parameter sets a restricted header", "request_id", r.id,
			"route", r.t.routeKey, "header", dp.restrictedParam)
		s.gatewayError(r, gw.APIConfigurationError, "")
	} else {
		s.dispatch(ctx, r, in)
	}
	s.mapHTTPResponse(r)
	s.corsHeaders(r)
	s.metrics.latency.WithLabelValues(r.st.apiID, r.st.name).Observe(time.Since(start).Seconds())
}

func (s *Service) dispatch(ctx context.Context, r *request, in *model.Integration) {
	switch in.Type {
	case model.IntegrationNATSProxy:
		s.natsProxy(ctx, r)
	case model.IntegrationHTTPProxy:
		s.httpProxy(ctx, r)
	case model.IntegrationMock, model.IntegrationNATS, model.IntegrationHTTP:
		s.nonProxy(ctx, r)
	case model.IntegrationAWSProxy:
		s.awsProxy(ctx, r)
	case model.IntegrationAWS:
		if r.t.dataPlane != nil && r.t.dataPlane.nonProxy {
			s.nonProxy(ctx, r) // REST: templates around the AWS action
		} else {
			s.awsIntegration(ctx, r) // HTTP API: subtype and request parameters
		}
	default:
		s.log.Warn("unsupported integration type", "type", in.Type, "route", r.t.routeKey)
		s.gatewayError(r, gw.APIConfigurationError, "")
	}
}

// timedOut answers an integration timeout: 504 for REST, 503 for HTTP APIs, as AWS.
func (s *Service) timedOut(r *request) {
	if r.st.protocol() == model.ProtocolHTTP {
		s.gatewayError(r, gw.Default5XX, "Service Unavailable")
		r.ctx.Response.SetStatusCode(fasthttp.StatusServiceUnavailable)
		return
	}
	s.gatewayError(r, gw.IntegrationTimeout, "")
}

// Request headers of REST HTTP integrations, as AWS recorded them (LocalStack's
// test_apigateway_header_remapping_http and test_apigateway_http snapshots).
var (
	// droppedIntegrationHeaders never reach an HTTP backend, mapped or sent by the client.
	droppedIntegrationHeaders = map[string]bool{"connection": true, "expect": true, "proxy-authenticate": true,
		"te": true, "transfer-encoding": true, "via": true}
	// unforwardedClientHeaders reach an HTTP_PROXY backend only when a request parameter maps them.
	unforwardedClientHeaders = map[string]bool{"content-md5": true, "max-forwards": true, "server": true,
		"trailer": true, "upgrade": true, "www-authenticate": true}
)

// restrictedRequestHeader reports whether a REST integration request parameter may not set a
// header: AWS answers such an integration's every invocation with 500 (recorded for
// Content-Length and Transfer-Encoding on HTTP, HTTP_PROXY and AWS integrations, and for
// Authorization, Connection, Expect, Proxy-Authenticate and TE on AWS integrations).
func restrictedRequestHeader(typ, name string) bool {
	switch strings.ToLower(name) {
	case "content-length", "transfer-encoding":
		return typ == model.IntegrationHTTP || typ == model.IntegrationHTTPProxy || typ == model.IntegrationAWS
	case "authorization", "connection", "expect", "proxy-authenticate", "te":
		return typ == model.IntegrationAWS
	}
	return false
}

// httpProxy forwards the request to an HTTP backend with pooled connections.
func (s *Service) httpProxy(ctx context.Context, r *request) {
	c := r.ctx
	rest := r.st.protocol() == model.ProtocolREST
	mr := s.proxyParams(r)
	uri := r.t.integration.URI
	for k, v := range mr.path { // mapped integration path parameters win over the method's
		uri = strings.ReplaceAll(uri, "{"+k+"}", url.PathEscape(v))
		uri = strings.ReplaceAll(uri, "{"+k+"+}", v)
	}
	uri = expandURI(uri, r.st.stage.Variables, r)
	if r.pathOverride != "" {
		uri = withPath(uri, r.pathOverride)
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.Request.Header.CopyTo(&req.Header)
	for k := range c.Request.Header.All() {
		name := strings.ToLower(string(k))
		if wire.IsReserved(name) || rest && (droppedIntegrationHeaders[name] || unforwardedClientHeaders[name] ||
			name == "content-encoding" && len(c.Request.Body()) == 0) {
			req.Header.DelBytes(k)
		}
	}
	// The client's query string follows the URI's own (AWS sends both), then mapped parameters.
	if q := c.URI().QueryString(); len(q) > 0 {
		uri = appendQuery(uri, string(q))
	}
	if len(mr.query) > 0 {
		uri = appendQuery(uri, encodeQuery(mr.query))
	}
	req.SetRequestURI(uri)
	req.UseHostHeader = false
	req.Header.SetHost(string(req.URI().Host()))
	method := r.t.integration.HTTPMethod
	if method == "" || method == "ANY" {
		method = string(c.Method())
	}
	req.Header.SetMethod(method)
	req.SetBodyRaw(c.Request.Body())
	req.Header.Set("X-Forwarded-For", c.RemoteIP().String())
	if rest {
		req.Header.Set("X-Amzn-Apigateway-Api-Id", r.st.apiID)
		for k, v := range mr.header {
			if !droppedIntegrationHeaders[strings.ToLower(k)] {
				req.Header.Set(k, v)
			}
		}
	}

	_, span := s.tracer.Start(ctx, "http "+method, trace.WithSpanKind(trace.SpanKindClient))
	err := s.client.DoTimeout(req, resp, s.timeout(r.t.integration))
	span.End()
	if err != nil {
		if errors.Is(err, fasthttp.ErrTimeout) {
			s.timedOut(r)
			return
		}
		s.log.Warn("http integration failed", "request_id", r.id, "err", err)
		s.gatewayError(r, gw.IntegrationFailure, "Internal server error")
		c.Response.SetStatusCode(fasthttp.StatusInternalServerError)
		return
	}
	if rest {
		remapHeaders(&resp.Header)
	}
	resp.Header.CopyTo(&c.Response.Header)
	c.Response.Header.Del("Connection")
	c.Response.Header.Set("x-amzn-RequestId", r.id)
	c.Response.SetBody(resp.Body())
}

// proxyParams evaluates a REST HTTP_PROXY integration's request parameters
// (integration.request.{header|querystring|path}.name), which AWS applies to the proxied request.
func (s *Service) proxyParams(r *request) mappedRequest {
	mr := mappedRequest{}
	dp := r.t.dataPlane
	if dp == nil || len(dp.reqParams) == 0 {
		return mr
	}
	path, query, header := methodParams(r)
	vars := &vtl.Vars{Body: r.ctx.Request.Body(), Path: path, Query: query, Header: header,
		Context: s.contextVars(r), StageVariables: r.st.stage.Variables}
	mr.header, mr.query, mr.path = map[string]string{}, map[string]string{}, map[string]string{}
	dp.mapRequestParams(vars, &mr)
	return mr
}

func appendQuery(uri, q string) string {
	if strings.Contains(uri, "?") {
		return uri + "&" + q
	}
	return uri + "?" + q
}

// encodeQuery encodes mapped query parameters in name order.
func encodeQuery(m map[string]string) string {
	q := url.Values{}
	for k, v := range m {
		q.Set(k, v)
	}
	return q.Encode()
}

// expandURI substitutes ${stageVariables.name} and {param} in an integration URI.
func expandURI(uri string, vars map[string]string, r *request) string {
	if !strings.ContainsAny(uri, "{$") {
		return uri
	}
	for k, v := range vars {
		uri = strings.ReplaceAll(uri, "${stageVariables."+k+"}", v)
	}
	for _, p := range r.params {
		uri = strings.ReplaceAll(uri, "{"+p.Name+"}", p.Value)
		uri = strings.ReplaceAll(uri, "{"+p.Name+"+}", p.Value)
	}
	return uri
}
