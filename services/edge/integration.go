package edge

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/model"
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
	s.mapHTTPResponse(r)
	s.corsHeaders(r)
	s.metrics.latency.WithLabelValues(r.st.apiID, r.st.name).Observe(time.Since(start).Seconds())
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

// httpProxy forwards the request to an HTTP backend with pooled connections.
func (s *Service) httpProxy(ctx context.Context, r *request) {
	c := r.ctx
	uri := expandURI(r.t.integration.URI, r.st.stage.Variables, r)
	if r.pathOverride != "" {
		uri = withPath(uri, r.pathOverride)
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.Request.Header.CopyTo(&req.Header)
	for k := range c.Request.Header.All() {
		if wire.IsReserved(string(k)) {
			req.Header.DelBytes(k)
		}
	}
	if q := c.URI().QueryString(); len(q) > 0 && !strings.Contains(uri, "?") {
		uri += "?" + string(q)
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
	if r.st.protocol() == model.ProtocolREST {
		remapHeaders(&resp.Header)
	}
	resp.Header.CopyTo(&c.Response.Header)
	c.Response.Header.Del("Connection")
	c.Response.Header.Set("x-amzn-RequestId", r.id)
	c.Response.SetBody(resp.Body())
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
