// Package authorizer builds the events custom (Lambda-style) authorizer functions receive and
// parses their answers, in AWS's shapes (github.com/aws/aws-lambda-go/events): TOKEN and
// REQUEST events of REST APIs, payload 1.0 and 2.0 events of HTTP APIs; IAM policy answers
// and simple responses.
package authorizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/wire"
)

// Bounds of an answer.
const (
	MaxContextKeys    = 64
	MaxPrincipalBytes = 1024
)

// ErrMalformed wraps every answer that is not a valid authorizer response (AWS answers
// AUTHORIZER_CONFIGURATION_ERROR).
var ErrMalformed = errors.New("authorizer: malformed answer")

// Event builds the event the function receives for req, with the identity-source values
// already read. now stamps HTTP API events.
func Event(req *wire.AuthzRequest, values []string, now time.Time) ([]byte, error) {
	a := req.Custom
	switch {
	case a.PayloadFormat == "2.0":
		return json.Marshal(v2Event(req, values, now))
	case a.PayloadFormat == "1.0":
		return json.Marshal(v1HTTPEvent(req, values))
	case a.Type == wire.AuthorizerToken:
		token := ""
		if len(values) > 0 {
			token = values[0]
		}
		return json.Marshal(events.APIGatewayCustomAuthorizerRequest{
			Type:               wire.AuthorizerToken,
			AuthorizationToken: token,
			MethodArn:          req.MethodARN,
		})
	default:
		return json.Marshal(restRequestEvent(req))
	}
}

func restContext(req *wire.AuthzRequest) events.APIGatewayCustomAuthorizerRequestTypeRequestContext {
	return events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
		Path:         "/" + req.Stage + req.Path,
		AccountID:    req.AccountID,
		Stage:        req.Stage,
		RequestID:    req.RequestID,
		Identity:     events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{APIKey: req.APIKey, SourceIP: req.SourceIP},
		ResourcePath: req.ResourcePath,
		HTTPMethod:   req.Method,
		APIID:        req.APIID,
	}
}

func restRequestEvent(req *wire.AuthzRequest) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	return events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type:                            wire.AuthorizerRequest,
		MethodArn:                       req.MethodARN,
		Resource:                        req.ResourcePath,
		Path:                            req.Path,
		HTTPMethod:                      req.Method,
		Headers:                         singleHeaders(req),
		MultiValueHeaders:               multiHeaders(req),
		QueryStringParameters:           singleQuery(req),
		MultiValueQueryStringParameters: multiQuery(req),
		PathParameters:                  req.PathParams,
		StageVariables:                  req.StageVariables,
		RequestContext:                  restContext(req),
	}
}

func v1HTTPEvent(req *wire.AuthzRequest, values []string) events.APIGatewayV2CustomAuthorizerV1Request {
	rc := restContext(req)
	token := ""
	if req.Custom.Type == wire.AuthorizerToken && len(values) > 0 {
		token = values[0]
	}
	return events.APIGatewayV2CustomAuthorizerV1Request{
		Version:               "1.0",
		Type:                  req.Custom.Type,
		MethodArn:             req.MethodARN,
		IdentitySource:        strings.Join(values, ","),
		AuthorizationToken:    token,
		Resource:              req.ResourcePath,
		Path:                  req.Path,
		HTTPMethod:            req.Method,
		Headers:               singleHeaders(req),
		QueryStringParameters: singleQuery(req),
		PathParameters:        req.PathParams,
		StageVariables:        req.StageVariables,
		RequestContext: events.APIGatewayV2CustomAuthorizerV1RequestTypeRequestContext{
			Path: rc.Path, AccountID: rc.AccountID, Stage: rc.Stage, RequestID: rc.RequestID,
			Identity: rc.Identity, ResourcePath: rc.ResourcePath, HTTPMethod: rc.HTTPMethod, APIID: rc.APIID,
		},
	}
}

func v2Event(req *wire.AuthzRequest, values []string, now time.Time) events.APIGatewayV2CustomAuthorizerV2Request {
	headers := map[string]string{}
	for k, v := range singleHeaders(req) {
		headers[strings.ToLower(k)] = v
	}
	var cookies []string
	if c, ok := headers["cookie"]; ok {
		for part := range strings.SplitSeq(c, ";") {
			if part = strings.TrimSpace(part); part != "" {
				cookies = append(cookies, part)
			}
		}
		delete(headers, "cookie")
	}
	routeKey := req.RouteKey
	if routeKey == "" {
		routeKey = req.Method + " " + req.ResourcePath
	}
	return events.APIGatewayV2CustomAuthorizerV2Request{
		Version:               "2.0",
		Type:                  wire.AuthorizerRequest,
		RouteArn:              req.MethodARN,
		IdentitySource:        values,
		RouteKey:              routeKey,
		RawPath:               req.Path,
		RawQueryString:        req.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: singleQuery(req),
		PathParameters:        req.PathParams,
		StageVariables:        req.StageVariables,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:  routeKey,
			AccountID: req.AccountID,
			Stage:     req.Stage,
			RequestID: req.RequestID,
			APIID:     req.APIID,
			Time:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    req.Method,
				Path:      req.Path,
				Protocol:  "HTTP/1.1",
				SourceIP:  req.SourceIP,
				UserAgent: headers["user-agent"],
			},
		},
	}
}

// singleHeaders is the last value of each header, as AWS's headers map holds.
func singleHeaders(req *wire.AuthzRequest) map[string]string {
	if len(req.Headers) > 0 || len(req.MultiValueHeaders) == 0 {
		return req.Headers
	}
	out := make(map[string]string, len(req.MultiValueHeaders))
	for k, vs := range req.MultiValueHeaders {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

func multiHeaders(req *wire.AuthzRequest) map[string][]string {
	if len(req.MultiValueHeaders) > 0 || len(req.Headers) == 0 {
		return req.MultiValueHeaders
	}
	out := make(map[string][]string, len(req.Headers))
	for k, v := range req.Headers {
		out[k] = []string{v}
	}
	return out
}

func singleQuery(req *wire.AuthzRequest) map[string]string {
	if len(req.Query) > 0 || len(req.MultiValueQuery) == 0 {
		return req.Query
	}
	out := make(map[string]string, len(req.MultiValueQuery))
	for k, vs := range req.MultiValueQuery {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

func multiQuery(req *wire.AuthzRequest) map[string][]string {
	if len(req.MultiValueQuery) > 0 || len(req.Query) == 0 {
		return req.MultiValueQuery
	}
	out := make(map[string][]string, len(req.Query))
	for k, v := range req.Query {
		out[k] = []string{v}
	}
	return out
}

// Answer is a parsed authorizer answer.
type Answer struct {
	// Unauthorized: the function failed with the error "Unauthorized" (401).
	Unauthorized bool
	// Simple answers (HTTP API payload 2.0 with simple responses) set IsAuthorized; policy
	// answers set Policy and PolicyJSON.
	Simple       bool
	IsAuthorized bool
	PrincipalID  string
	Policy       *iampolicy.Policy
	PolicyJSON   json.RawMessage
	Context      map[string]string
	UsageKey     string
}

type rawAnswer struct {
	ErrorMessage       *string                    `json:"errorMessage"`
	IsAuthorized       *bool                      `json:"isAuthorized"`
	PrincipalID        json.RawMessage            `json:"principalId"`
	PolicyDocument     json.RawMessage            `json:"policyDocument"`
	Context            map[string]json.RawMessage `json:"context"`
	UsageIdentifierKey *string                    `json:"usageIdentifierKey"`
}

// ParseAnswer parses a function's reply body. simple selects the simple-response format
// ({"isAuthorized": bool, "context": {…}}); otherwise the answer must carry a policy document
// (events.APIGatewayCustomAuthorizerResponse). A Lambda error body {"errorMessage":
// "Unauthorized"} is Unauthorized; any other error body is ErrMalformed. Context values must be
// strings, numbers or booleans (AWS refuses objects and arrays) and are stringified.
func ParseAnswer(data []byte, simple bool) (*Answer, error) {
	var raw rawAnswer
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if raw.ErrorMessage != nil {
		if *raw.ErrorMessage == "Unauthorized" {
			return &Answer{Unauthorized: true}, nil
		}
		return nil, fmt.Errorf("%w: function error", ErrMalformed)
	}
	ctx, err := stringify(raw.Context)
	if err != nil {
		return nil, err
	}
	if simple {
		if raw.IsAuthorized == nil {
			return nil, fmt.Errorf("%w: no isAuthorized", ErrMalformed)
		}
		return &Answer{Simple: true, IsAuthorized: *raw.IsAuthorized, Context: ctx}, nil
	}
	a := &Answer{Context: ctx}
	if len(raw.PrincipalID) > 0 && !bytes.Equal(raw.PrincipalID, []byte("null")) {
		var p any
		if err := json.Unmarshal(raw.PrincipalID, &p); err != nil {
			return nil, fmt.Errorf("%w: principalId: %v", ErrMalformed, err)
		}
		switch v := p.(type) {
		case string:
			a.PrincipalID = v
		case float64:
			a.PrincipalID = string(raw.PrincipalID)
		default:
			return nil, fmt.Errorf("%w: principalId must be a string", ErrMalformed)
		}
		if len(a.PrincipalID) > MaxPrincipalBytes {
			return nil, fmt.Errorf("%w: principalId of %d bytes", ErrMalformed, len(a.PrincipalID))
		}
	}
	if len(raw.PolicyDocument) == 0 || bytes.Equal(raw.PolicyDocument, []byte("null")) {
		return nil, fmt.Errorf("%w: no policyDocument", ErrMalformed)
	}
	p, err := iampolicy.Parse(raw.PolicyDocument)
	if err != nil {
		return nil, fmt.Errorf("%w: policyDocument: %v", ErrMalformed, err)
	}
	a.Policy, a.PolicyJSON = p, raw.PolicyDocument
	if raw.UsageIdentifierKey != nil {
		a.UsageKey = *raw.UsageIdentifierKey
	}
	return a, nil
}

func stringify(m map[string]json.RawMessage) (map[string]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	if len(m) > MaxContextKeys {
		return nil, fmt.Errorf("%w: %d context keys, more than %d", ErrMalformed, len(m), MaxContextKeys)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		v = bytes.TrimSpace(v)
		if len(v) == 0 {
			continue
		}
		switch v[0] {
		case '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("%w: context %q: %v", ErrMalformed, k, err)
			}
			out[k] = s
		case 't', 'f':
			b, err := strconv.ParseBool(string(v))
			if err != nil {
				return nil, fmt.Errorf("%w: context %q", ErrMalformed, k)
			}
			out[k] = strconv.FormatBool(b)
		case 'n': // null: AWS drops it
		case '{', '[':
			return nil, fmt.Errorf("%w: context %q is an object or array", ErrMalformed, k)
		default:
			var n json.Number
			if err := json.Unmarshal(v, &n); err != nil {
				return nil, fmt.Errorf("%w: context %q: %v", ErrMalformed, k, err)
			}
			out[k] = n.String()
		}
	}
	return out, nil
}
