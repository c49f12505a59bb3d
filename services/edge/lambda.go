package edge

import (
	"context"
	"net"
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
	"github.com/portico/portico/pkg/wire"
)

// accountID is the account id Portico reports in events and ARNs.
const accountID = "000000000000"

// lambdaFunction is the function an AWS_PROXY integration uri names (wire.LambdaFunction).
func lambdaFunction(uri string) string { return wire.LambdaFunction(uri) }

// lambdaDroppedHeader reports the request headers API Gateway leaves out of a Lambda proxy
// event (AWS recording test_apigateway_http / header remapping): hop-by-hop and server ones.
func lambdaDroppedHeader(name string) bool {
	switch strings.ToLower(name) {
	case "connection", "content-md5", "expect", "max-forwards", "proxy-authenticate", "server",
		"te", "trailer", "transfer-encoding", "upgrade", "www-authenticate":
		return true
	}
	return false
}

// payloadVersion is the Lambda event format: REST APIs always 1.0, HTTP APIs 2.0 unless set.
func payloadVersion(st *stageState, in *model.Integration) string {
	if st.protocol() == model.ProtocolREST {
		return lambdaevent.V1
	}
	if in.PayloadFormatVersion == lambdaevent.V1 {
		return lambdaevent.V1
	}
	return lambdaevent.V2
}

// lambdaRequest gathers what the proxy event carries from the request.
func (s *Service) lambdaRequest(r *request, version string) *lambdaevent.Request {
	c := r.ctx
	lr := &lambdaevent.Request{
		Method:       string(c.Method()),
		Path:         r.path,
		Resource:     r.t.resourcePath,
		RouteKey:     r.t.routeKey,
		Stage:        r.st.name,
		APIID:        r.st.apiID,
		AccountID:    accountID,
		ResourceID:   r.t.resourceID,
		DeploymentID: r.st.deploymentID,
		RequestID:    r.id,
		SourceIP:     c.RemoteIP().String(),
		UserAgent:    string(c.UserAgent()),
		Protocol:     "HTTP/1.1",
		DomainName:   string(c.Host()),
		DomainPrefix: domainPrefix(r),
		RawQuery:     string(c.URI().QueryString()),
		StageVars:    r.st.stage.Variables,
		Body:         c.Request.Body(),
		PrincipalID:  r.decision.PrincipalID,
		AuthContext:  r.decision.Context,
		JWT:          r.t.auth.jwt != nil,
		Scopes:       r.t.auth.scopes,
		Time:         time.Now(),
	}
	if r.decision.APIKeyID != "" && r.t.needAPIKey {
		// AWS fills identity.apiKey and apiKeyId when the method required a key
		lr.APIKeyID = r.decision.APIKeyID
		lr.APIKey = string(c.Request.Header.Peek("x-api-key"))
	}
	if !c.Request.Header.IsHTTP11() {
		lr.Protocol = "HTTP/1.0"
	}
	if r.t.method_ != nil {
		lr.OperationName = r.t.method_.OperationName
	}
	forwardedFor := lr.SourceIP
	for k, v := range c.Request.Header.All() {
		name := string(k)
		if wire.IsReserved(name) {
			continue
		}
		switch {
		case strings.EqualFold(name, "X-Forwarded-For"):
			forwardedFor = string(v) + ", " + lr.SourceIP
			continue
		case strings.EqualFold(name, "X-Forwarded-Port"), strings.EqualFold(name, "X-Forwarded-Proto"):
			continue
		case lambdaDroppedHeader(name):
			continue
		}
		lr.Headers = append(lr.Headers, lambdaevent.Header{Name: name, Value: string(v)})
	}
	// API Gateway adds where the request came from and on which port and scheme it arrived.
	proto := "http"
	if c.IsTLS() {
		proto = "https"
	}
	port := ""
	if tcp, ok := c.LocalAddr().(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
	}
	lr.Headers = append(lr.Headers, lambdaevent.Header{Name: "X-Forwarded-For", Value: forwardedFor},
		lambdaevent.Header{Name: "X-Forwarded-Port", Value: port}, lambdaevent.Header{Name: "X-Forwarded-Proto", Value: proto})
	if len(r.params) > 0 {
		lr.PathParams = make(map[string]string, len(r.params))
		for _, p := range r.params {
			v := p.Value
			if strings.Contains(r.t.resourcePath, "{"+p.Name+"+}") {
				v = strings.TrimSuffix(v, "/") // AWS: /{proxy+} on /a/ is proxy=a, path /a/
			}
			lr.PathParams[p.Name] = v
		}
	}
	if len(lr.Body) > 0 {
		ct := string(c.Request.Header.ContentType())
		if version == lambdaevent.V1 {
			lr.Binary = lambdaevent.MatchMediaType(ct, r.st.api.BinaryMediaTypes)
		} else {
			lr.Binary = lambdaevent.MatchMediaType(ct, r.st.api.BinaryMediaTypes) || !lambdaevent.IsText(ct, lr.Body)
		}
	}
	return lr
}

// lambdaFailed answers a function error or a malformed response as AWS: REST 502
// {"message": "Internal server error"} with x-amzn-ErrorType InternalServerErrorException,
// HTTP API 500 {"message":"Internal Server Error"}.
func (s *Service) lambdaFailed(r *request) {
	if r.st.protocol() == model.ProtocolHTTP {
		s.gatewayError(r, gw.Default5XX, "Internal Server Error")
		r.ctx.Response.SetStatusCode(fasthttp.StatusInternalServerError)
		return
	}
	s.gatewayError(r, gw.Default5XX, "Internal server error")
	r.ctx.Response.SetStatusCode(fasthttp.StatusBadGateway)
	if len(r.ctx.Response.Header.Peek("x-amzn-ErrorType")) == 0 {
		r.ctx.Response.Header.Set("x-amzn-ErrorType", "InternalServerErrorException")
	}
}

// awsProxy invokes a Lambda function over NATS with the proxy event and maps its response.
func (s *Service) awsProxy(ctx context.Context, r *request) {
	in := r.t.integration
	if r.st.protocol() == model.ProtocolREST && in.HTTPMethod != "" && !strings.EqualFold(in.HTTPMethod, "POST") {
		// Lambda is invoked with POST: AWS answers any other integration method with a 500
		s.gatewayError(r, gw.APIConfigurationError, "")
		return
	}
	version := payloadVersion(r.st, in)
	fn := r.t.lambdaFunction
	if fn == "" {
		fn = lambdaFunction(expandURI(in.URI, r.st.stage.Variables, r))
	}
	if fn == "" {
		s.gatewayError(r, gw.APIConfigurationError, "")
		return
	}
	payload, err := lambdaevent.Marshal(version, s.lambdaRequest(r, version))
	if err != nil {
		s.log.Error("building lambda event", "request_id", r.id, "err", err)
		s.gatewayError(r, gw.APIConfigurationError, "")
		return
	}
	msg := nats.NewMsg(wire.LambdaSubject(fn))
	msg.Data = payload
	ictx, span := s.tracer.Start(ctx, "lambda "+fn, trace.WithSpanKind(trace.SpanKindClient))
	telemetry.Inject(ictx, msg)
	reply, err := s.deps.NATS.RequestMsg(msg, s.timeout(in))
	span.End()
	c := r.ctx
	if err != nil {
		s.busFailed(r, err, "lambda "+fn, func() { s.lambdaFailed(r) })
		return
	}
	if reply.Header.Get(wire.HeaderServiceErrorCode) != "" {
		s.log.Info("lambda function error", "request_id", r.id, "function", fn)
		s.lambdaFailed(r)
		return
	}
	resp, err := lambdaevent.ParseResponse(version, reply.Data)
	if err != nil {
		s.log.Info("malformed lambda response", "request_id", r.id, "function", fn, "err", err)
		s.lambdaFailed(r)
		return
	}
	rest := r.st.protocol() == model.ProtocolREST
	for i, h := range resp.Headers {
		if rest && remapped(h.Name) {
			h.Name = remappedPrefix + h.Name
		}
		if i > 0 && strings.EqualFold(resp.Headers[i-1].Name, resp.Headers[i].Name) {
			c.Response.Header.Add(h.Name, h.Value)
		} else {
			c.Response.Header.Set(h.Name, h.Value)
		}
	}
	for _, ck := range resp.Cookies {
		c.Response.Header.Add("Set-Cookie", ck)
	}
	if len(c.Response.Header.ContentType()) == 0 {
		c.Response.Header.SetContentType("application/json")
	}
	c.Response.Header.Set("x-amzn-RequestId", r.id)
	c.Response.SetStatusCode(resp.Status)
	if rest && resp.Base64Body != "" && !lambdaevent.MatchMediaType(firstAccept(c.Request.Header.Peek("Accept")), r.st.api.BinaryMediaTypes) {
		// REST APIs decode a base64 body only for a client that accepts a binary media type
		c.Response.SetBodyString(resp.Base64Body)
		return
	}
	c.Response.SetBody(resp.Body)
}

// firstAccept is the first media type of an Accept header, the one API Gateway matches
// against the binary media types.
func firstAccept(accept []byte) string {
	first, _, _ := strings.Cut(string(accept), ",")
	return strings.TrimSpace(first)
}
