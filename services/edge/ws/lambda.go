package ws

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// maxLambdaResponse bounds a function's answer (AWS: 6 MB for synchronous invocations); the
// frame written from it is bounded by MaxMessageBytes as well.
const maxLambdaResponse = 6 << 20

// errLambdaResponse reports a function answer that is not a proxy response.
var errLambdaResponse = errors.New("malformed Lambda proxy response")

// lambdaEvent builds the event AWS sends a Lambda function of an AWS_PROXY WebSocket route
// (aws-lambda-go's events.APIGatewayWebsocketProxyRequest): CONNECT carries the handshake's
// headers and query, MESSAGE the body, DISCONNECT the close status and reason.
func (h *Hub) lambdaEvent(c *conn, r *model.Route, event, requestID string, body []byte, extra nats.Header) ([]byte, error) {
	now := time.Now()
	rc := events.APIGatewayWebsocketProxyRequestContext{
		AccountID:         DefaultAccountID,
		Stage:             c.t.Stage,
		RequestID:         requestID,
		Identity:          events.APIGatewayRequestIdentity{SourceIP: c.t.SourceIP, UserAgent: c.userAgent},
		APIID:             c.t.APIID,
		ConnectedAt:       c.connectedAt.UnixMilli(),
		ConnectionID:      c.id,
		DomainName:        c.domain,
		EventType:         event,
		ExtendedRequestID: requestID,
		MessageDirection:  "IN",
		RequestTime:       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		RequestTimeEpoch:  now.UnixMilli(),
		RouteKey:          r.RouteKey,
	}
	if c.principal != "" || c.authorizer != "" {
		auth := map[string]any{}
		if c.authorizer != "" {
			_ = json.Unmarshal([]byte(c.authorizer), &auth)
		}
		if c.principal != "" {
			auth["principalId"] = c.principal
		}
		rc.Authorizer = auth
	}
	ev := events.APIGatewayWebsocketProxyRequest{
		StageVariables:  c.t.StageVariables,
		RequestContext:  rc,
		IsBase64Encoded: false,
	}
	switch event {
	case wire.EventConnect:
		ev.Headers = map[string]string{}
		ev.MultiValueHeaders = map[string][]string{}
		for name, vals := range extra {
			if wire.IsReserved(name) {
				continue
			}
			ev.Headers[name] = vals[len(vals)-1]
			ev.MultiValueHeaders[name] = vals
		}
		if q := extra.Get(wire.HeaderQuery); q != "" {
			if vals, err := url.ParseQuery(q); err == nil {
				ev.QueryStringParameters = map[string]string{}
				ev.MultiValueQueryStringParameters = map[string][]string(vals)
				for k, v := range vals {
					ev.QueryStringParameters[k] = v[len(v)-1]
				}
			}
		}
	case wire.EventMessage:
		ev.RequestContext.MessageID = requestID
		if isText(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	case wire.EventDisconnect:
		code, _ := strconv.ParseInt(extra.Get(wire.HeaderDisconnectStatusCode), 10, 64)
		reason := extra.Get(wire.HeaderDisconnectReason)
		ev.RequestContext.DisconnectStatusCode, ev.RequestContext.DisconnectReason = code, &reason
	}
	return json.Marshal(ev)
}

func isText(b []byte) bool { return utf8.Valid(b) }

// lambdaResult is a function's answer: the status the event gets (a $connect handshake's
// status), response headers and the body to send back on the socket.
type lambdaResult struct {
	status int
	header nats.Header
	body   []byte
}

// parseLambdaResponse reads a function's proxy response ({statusCode, headers, body,
// isBase64Encoded}); an empty or null answer is 200 without a body.
func parseLambdaResponse(data []byte) (lambdaResult, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return lambdaResult{status: 200}, nil
	}
	if len(data) > maxLambdaResponse {
		return lambdaResult{}, fmt.Errorf("%w: %d bytes", errLambdaResponse, len(data))
	}
	var resp events.APIGatewayProxyResponse
	if data[0] != '{' || json.Unmarshal(data, &resp) != nil {
		return lambdaResult{}, errLambdaResponse
	}
	if resp.StatusCode == 0 {
		resp.StatusCode = 200
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return lambdaResult{}, fmt.Errorf("%w: status %d", errLambdaResponse, resp.StatusCode)
	}
	out := lambdaResult{status: resp.StatusCode, header: nats.Header{}}
	for k, v := range resp.Headers {
		out.header.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			out.header.Add(k, v)
		}
	}
	out.body = []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return lambdaResult{}, fmt.Errorf("%w: body is not base64", errLambdaResponse)
		}
		out.body = b
	}
	return out, nil
}
