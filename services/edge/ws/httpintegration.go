package ws

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/propagation"
)

// maxHTTPResponse bounds an HTTP integration's answer read by the hub.
const maxHTTPResponse = 10 << 20

// handshakeOnly are handshake headers an HTTP integration never receives.
var handshakeOnly = map[string]bool{
	"Connection": true, "Upgrade": true, "Sec-Websocket-Key": true, "Sec-Websocket-Version": true,
	"Sec-Websocket-Extensions": true, "Host": true, "Content-Length": true,
}

func newHTTPClient() *fasthttp.Client {
	return &fasthttp.Client{
		Name:                     "portico",
		NoDefaultUserAgentHeader: true,
		MaxConnsPerHost:          1024,
		MaxIdleConnDuration:      90 * time.Second,
		MaxResponseBodySize:      maxHTTPResponse,
		DisablePathNormalizing:   true,
	}
}

// callHTTP sends an event to an HTTP or HTTP_PROXY integration: the message body (MESSAGE) with
// the integration's method to its URI (stage variables expanded); CONNECT also forwards the
// handshake's headers and query. requestParameters map integration.request.header.{name} (and
// querystring.{name}) from context.connectionId, context.routeKey, context.eventType,
// context.requestId, context.apiId, context.stage, context.identity.sourceIp,
// context.authorizer.principalId, stageVariables.{name} or a 'static' value.
func (h *Hub) callHTTP(ctx context.Context, c *conn, r *model.Route, event, requestID string, body []byte, extra nats.Header, timeout time.Duration) (*result, error) {
	in := r.Integration
	u, err := url.Parse(expandStageVariables(in.URI, c.t.StageVariables))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid HTTP integration URI %q", in.URI)
	}
	method := strings.ToUpper(in.HTTPMethod)
	if method == "" || method == "ANY" {
		method = fasthttp.MethodPost
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	if event == wire.EventConnect {
		for name, vals := range extra {
			if wire.IsReserved(name) || handshakeOnly[name] {
				continue
			}
			for _, v := range vals {
				req.Header.Add(name, v)
			}
		}
		if q := extra.Get(wire.HeaderQuery); q != "" && u.RawQuery == "" {
			u.RawQuery = q
		}
	}
	q := u.Query()
	for target, source := range in.RequestParameters {
		v, ok := h.parameterValue(c, r, event, requestID, source)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(target, "integration.request.header."):
			req.Header.Set(strings.TrimPrefix(target, "integration.request.header."), v)
		case strings.HasPrefix(target, "integration.request.querystring."):
			q.Set(strings.TrimPrefix(target, "integration.request.querystring."), v)
		}
	}
	u.RawQuery = q.Encode()
	req.SetRequestURI(u.String())
	if len(body) > 0 {
		req.SetBody(body)
		if len(req.Header.ContentType()) == 0 {
			req.Header.SetContentType("application/json")
		}
	}
	hdr := map[string]string{}
	telemetry.Propagator.Inject(ctx, propagation.MapCarrier(hdr))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if err := h.http.DoTimeout(req, resp, timeout); err != nil {
		if err == fasthttp.ErrTimeout {
			return nil, context.DeadlineExceeded
		}
		return nil, fmt.Errorf("HTTP integration: %w", err)
	}
	res := &result{status: resp.StatusCode(), header: nats.Header{}, body: append([]byte(nil), resp.Body()...)}
	for k, v := range resp.Header.All() {
		res.header.Add(string(k), string(v))
	}
	res.failed = res.status >= 500
	return res, nil
}

// parameterValue resolves a requestParameters source for a WebSocket event.
func (h *Hub) parameterValue(c *conn, r *model.Route, event, requestID, source string) (string, bool) {
	if len(source) >= 2 && source[0] == '\'' && source[len(source)-1] == '\'' {
		return source[1 : len(source)-1], true
	}
	if name, ok := strings.CutPrefix(source, "stageVariables."); ok {
		v, ok := c.t.StageVariables[name]
		return v, ok
	}
	switch strings.TrimPrefix(source, "route.request.") {
	case "context.connectionId":
		return c.id, true
	case "context.routeKey":
		return r.RouteKey, true
	case "context.eventType":
		return event, true
	case "context.requestId":
		return requestID, true
	case "context.apiId":
		return c.t.APIID, true
	case "context.stage":
		return c.t.Stage, true
	case "context.identity.sourceIp":
		return c.t.SourceIP, true
	case "context.authorizer.principalId":
		return c.principal, c.principal != ""
	}
	return "", false
}
