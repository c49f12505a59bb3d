package edge

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/route"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/edge/ws"
)

// request is the per-request state the steps share.
type request struct {
	ctx      *fasthttp.RequestCtx
	id       string
	st       *stageState
	t        *target
	path     string // path below the stage, starting with /
	params   []route.Param
	decision wire.AuthzDecision
	// validationError is $context.error.validationErrorString when a validator refused.
	validationError string

	pathOverride string // HTTP API overwrite:path mapping

	gwType    gw.Type // the gateway response answered, if any ($context.error.* in access logs)
	gwMessage string
}

// statusPrefix starts the edge's own endpoints; "@" cannot begin a stage name.
var statusPrefix = []byte("/@portico/")

const (
	pathStylePrefix = "/restapis/"
	userRequest     = "_user_request_"
	connectionsSeg  = "@connections"
)

// endpoint maps the request to (api, stage, path): path-style
// /restapis/{api}/{stage}/_user_request_/{path}, or Host {api}.execute-api.{domain} with
// /{stage}/{path}.
func (s *Service) endpoint(ctx *fasthttp.RequestCtx) (apiID, stage, path string, ok bool) {
	p := string(ctx.URI().PathOriginal())
	if rest, found := strings.CutPrefix(p, pathStylePrefix); found {
		apiID, rest, _ = strings.Cut(rest, "/")
		stage, rest, _ = strings.Cut(rest, "/")
		marker, rest, slash := strings.Cut(rest, "/")
		if apiID == "" || stage == "" || marker != userRequest {
			return "", "", "", false
		}
		return apiID, stage, slashed(p, rest, slash), true
	}
	host := string(ctx.Host())
	if h, _, err := splitHostPort(host); err == nil {
		host = h
	}
	if apiID, stage, path, ok = s.customDomain(host, p); ok {
		return apiID, stage, path, true
	}
	id, domain, found := strings.Cut(host, ".execute-api.")
	if !found || id == "" || domain == "" {
		return "", "", "", false
	}
	stage, rest, slash := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if stage == "" {
		return id, defaultStageName, "/", true // an HTTP API's $default stage serves at /
	}
	return id, stage, slashed(p, rest, slash), true
}

// slashed is "/" + rest, where rest is what strings.Cut left after a "/" of p (slash: one was
// found): the tail of p itself, so no new string is made.
// executeAPIDisabled is AWS's answer on the default endpoint of an API that turned it off.
var executeAPIDisabled = gw.Response{Status: fasthttp.StatusForbidden,
	Headers: map[string]string{"x-amzn-ErrorType": "ForbiddenException"}, Body: gw.DefaultBody("Forbidden")}

// onDefaultEndpoint reports whether a request came by an API's default endpoint (path style,
// or an execute-api host) rather than a custom domain name.
func onDefaultEndpoint(ctx *fasthttp.RequestCtx) bool {
	return bytes.HasPrefix(ctx.URI().PathOriginal(), []byte(pathStylePrefix)) || bytes.Contains(ctx.Host(), []byte(".execute-api."))
}

func slashed(p, rest string, slash bool) string {
	if !slash {
		return "/"
	}
	return p[len(p)-len(rest)-1:]
}

func splitHostPort(h string) (string, string, error) {
	i := strings.LastIndexByte(h, ':')
	if i < 0 || strings.HasSuffix(h, "]") {
		return h, "", errors.New("no port")
	}
	return h[:i], h[i+1:], nil
}

func (s *Service) handle(ctx *fasthttp.RequestCtx) {
	r := request{ctx: ctx, id: newRequestID()}
	// Response header names go out as written (x-amzn-RequestId, a Lambda's x-custom), as AWS
	// sends them, not in fasthttp's canonical form.
	ctx.Response.Header.DisableNormalizing()
	ctx.Response.Header.Set("x-amzn-RequestId", r.id)
	if bytes.HasPrefix(ctx.URI().PathOriginal(), statusPrefix) {
		s.status(ctx)
		return
	}
	if s.uriTooLong(ctx) {
		return
	}
	apiID, stage, path, ok := s.endpoint(ctx)
	if !ok {
		s.gatewayError(&r, gw.MissingAuthenticationToken, "")
		return
	}
	st := s.stageOf(apiID, stage)
	if st == nil {
		st, path = s.defaultStage(apiID, stage, path)
	}
	if st == nil {
		s.gatewayError(&r, gw.MissingAuthenticationToken, "")
		return
	}
	if st.canary != nil && rand.Float64()*100 < st.canaryPercent {
		st = st.canary
	}
	r.st, r.path = st, path
	if st.accessLog != nil {
		defer s.writeAccessLog(&r, time.Now())
	}
	if st.api.DisableExecuteAPIEndpoint && onDefaultEndpoint(ctx) {
		writeGateway(ctx, executeAPIDisabled)
		return
	}
	if !s.wafAllows(&r) {
		return
	}
	if st.protocol() == model.ProtocolWebSocket {
		s.handleWebSocket(&r)
		return
	}
	if s.cors(&r) {
		return
	}
	method := methodString(ctx.Method())
	m, found := st.routes.Lookup(method, path)
	switch {
	case found:
		r.t, r.params = m.Value, m.Params
	case st.defaultRoute != nil:
		r.t = st.defaultRoute
	case st.protocol() == model.ProtocolHTTP:
		s.gatewayError(&r, gw.ResourceNotFound, "")
		return
	default:
		s.gatewayError(&r, gw.MissingAuthenticationToken, "")
		return
	}

	spanCtx, span := s.startSpan(context.Background(), r.t.routeKey, serverSpanKind)
	recording := span.IsRecording()
	if recording {
		span.SetAttributes(attribute.String("http.request.method", method), attribute.String("url.path", path),
			attribute.String("portico.api_id", st.apiID), attribute.String("portico.stage", st.name),
			attribute.String("portico.request_id", r.id))
	}
	defer func() {
		code := ctx.Response.StatusCode()
		if recording {
			span.SetAttributes(attribute.Int("http.response.status_code", code))
			if code >= 500 {
				span.SetStatus(codes.Error, strconv.Itoa(code))
			}
		}
		span.End()
		st.requests[classIndex(code)].Inc()
	}()

	if !s.authorize(spanCtx, &r) {
		return
	}
	if !s.validate(&r) {
		return
	}
	if !s.throttle(spanCtx, &r) {
		return
	}
	plan, answered := s.cacheLookup(spanCtx, &r)
	if !answered {
		s.integrate(spanCtx, &r)
		s.cacheStore(&r, plan)
	}
	s.compress(&r)
}

// serverSpanKind is the request span's kind option, made once (it allocates).
var serverSpanKind = trace.WithSpanKind(trace.SpanKindServer)

// startSpan starts a span, or, with the no-op tracer (no OTLP endpoint configured), returns
// ctx and its span as they are: the same non-recording result without the context and option
// allocations of noop.Tracer.Start.
func (s *Service) startSpan(ctx context.Context, name string, kind trace.SpanStartOption) (context.Context, trace.Span) {
	if _, ok := s.tracer.(noop.Tracer); ok {
		return ctx, trace.SpanFromContext(ctx)
	}
	return s.tracer.Start(ctx, name, kind)
}

// stageOf is the served stage apiID/stage, or nil; the key is built without allocating.
func (s *Service) stageOf(apiID, stage string) *stageState {
	var kb [128]byte
	k := append(append(append(kb[:0], apiID...), '/'), stage...)
	return (*s.tables.Load())[string(k)]
}

// methodString returns the request method as a string, without allocating for the common ones.
func methodString(m []byte) string {
	if mv, ok := methodValues[string(m)]; ok {
		return mv[0]
	}
	return string(m)
}

// gatewayError writes a gateway response of type t.
func (s *Service) gatewayError(r *request, t gw.Type, message string) {
	r.gwType, r.gwMessage = t, message
	var custom map[string]model.GatewayResponse
	if r.st != nil {
		custom = r.st.api.GatewayResponses
	}
	resp := gw.RenderWith(t, message, r.validationError, custom)
	writeGateway(r.ctx, resp)
}

func writeGateway(ctx *fasthttp.RequestCtx, resp gw.Response) {
	status := resp.Status
	if status == 0 {
		status = fasthttp.StatusInternalServerError
	}
	ctx.Response.SetStatusCode(status)
	ctx.Response.Header.SetContentType("application/json")
	for k, v := range resp.Headers {
		ctx.Response.Header.Set(k, v)
	}
	ctx.Response.SetBodyRaw(resp.Body)
}

// serverError answers what fasthttp refuses before the handler runs (body or headers too big).
func (s *Service) serverError(ctx *fasthttp.RequestCtx, err error) {
	var resp gw.Response
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		resp = gw.Render(gw.RequestTooLarge, "", nil)
	case strings.Contains(err.Error(), "small read buffer"), strings.Contains(err.Error(), "too big"):
		resp = gw.Response{Status: fasthttp.StatusRequestHeaderFieldsTooLarge, Body: gw.DefaultBody("Request Header Fields Too Large")}
	default:
		resp = gw.Response{Status: fasthttp.StatusBadRequest, Body: gw.DefaultBody("Bad Request")}
	}
	writeGateway(ctx, resp)
}

func (s *Service) handleWebSocket(r *request) {
	ctx := r.ctx
	if connID, found := strings.CutPrefix(r.path, "/"+connectionsSeg+"/"); found && connID != "" && !strings.Contains(connID, "/") {
		s.hub.Manage(ctx, r.st.apiID, r.st.name, connID)
		return
	}
	if !bytes.EqualFold(ctx.Request.Header.Peek("Upgrade"), []byte("websocket")) {
		writeGateway(ctx, gw.Response{Status: fasthttp.StatusUpgradeRequired, Body: gw.DefaultBody("Upgrade Required")})
		return
	}
	s.hub.Upgrade(ctx, ws.Target{APIID: r.st.apiID, Stage: r.st.name, API: r.st.api,
		StageVariables: r.st.stage.Variables, SourceIP: ctx.RemoteIP().String(), Settings: r.st.stage.MethodSettings})
}

// newRequestID returns an AWS-style request id (a random UUID v4).
func newRequestID() string {
	var b [36]byte
	const hexd = "0123456789abcdef"
	hi, lo := rand.Uint64(), rand.Uint64()
	hi = hi&^(0xf<<12) | 4<<12   // version 4
	lo = lo&^(0x3<<62) | 0x2<<62 // variant 10
	j := 0
	for i := 0; i < 16; i++ {
		var v byte
		if i < 8 {
			v = byte(hi >> (56 - 8*i))
		} else {
			v = byte(lo >> (56 - 8*(i-8)))
		}
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexd[v>>4], hexd[v&0xf]
		j += 2
	}
	return string(b[:])
}

var _ = time.Second
