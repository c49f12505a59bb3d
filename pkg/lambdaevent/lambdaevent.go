// Package lambdaevent builds the Lambda proxy events API Gateway sends to a function (payload
// format 1.0 for REST APIs, 2.0 by default for HTTP APIs) and parses what the function answers,
// with the types of github.com/aws/aws-lambda-go/events, so a handler written for Lambda decodes
// Portico's events unchanged.
//
// Format 1.0 (events.APIGatewayProxyRequest): headers and query string parameters both
// single-valued (the last value wins) and multi-valued; path is the path below the stage,
// requestContext.path includes the stage; requestContext.authorizer holds principalId and the
// authorizer's context keys. Format 2.0 (events.APIGatewayV2HTTPRequest): header names in lower
// case, repeated headers and query parameters joined with commas, cookies split out of the
// Cookie header, rawPath and rawQueryString as received, requestContext.authorizer.lambda for a
// custom authorizer's context.
//
// Responses: format 1.0 needs an object with a statusCode; format 2.0 also takes any other
// valid JSON, answered as 200 application/json with the JSON as the body (a JSON string's
// text). Anything else is ErrMalformed, which API Gateway answers with 502 (REST) or 500
// (HTTP API).
package lambdaevent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Payload format versions.
const (
	V1 = "1.0"
	V2 = "2.0"
)

// MaxResponseBytes bounds a function's response (AWS: 6 MB for synchronous invocations).
const MaxResponseBytes = 6 << 20

// ErrMalformed reports a function response API Gateway cannot map.
var ErrMalformed = errors.New("malformed Lambda proxy response")

// Header is one request header as received (repeated names appear more than once).
type Header struct{ Name, Value string }

// Request is what the gateway knows about one HTTP request, independent of the format.
type Request struct {
	Method       string
	Path         string // below the stage, as received (not decoded), starting with /
	Resource     string // the resource path template (REST), e.g. /pets/{id}
	RouteKey     string // "GET /pets/{id}" (HTTP API) or "$default"
	Stage        string
	APIID        string
	AccountID    string
	ResourceID   string
	DeploymentID string
	RequestID    string
	SourceIP     string
	UserAgent    string
	Protocol     string // HTTP/1.1
	DomainName   string // Host
	Headers      []Header
	RawQuery     string
	PathParams   map[string]string
	StageVars    map[string]string
	Body         []byte
	Binary       bool // base64-encode the body
	PrincipalID  string
	AuthContext  map[string]string
	// JWT marks AuthContext as a JWT authorizer's claims: payload 2.0 carries them in
	// requestContext.authorizer.jwt (with Scopes), 1.0 in requestContext.authorizer.claims.
	JWT           bool
	Scopes        []string
	Time          time.Time
	OperationName string
	// DomainPrefix overrides the first label of DomainName: the edge passes the API id for
	// a path-style request or an IP Host, as AWS's execute-api host always has it.
	DomainPrefix string
	// APIKey and APIKeyID are the caller's key when the method required one (payload 1.0
	// identity.apiKey and identity.apiKeyId).
	APIKey, APIKeyID string
}

// requestTime formats t as API Gateway does: 09/Apr/2015:12:34:56 +0000.
func requestTime(t time.Time) string { return t.UTC().Format("02/Jan/2006:15:04:05 -0700") }

func (r *Request) body() (string, bool) {
	if len(r.Body) == 0 {
		return "", false
	}
	if r.Binary {
		return base64.StdEncoding.EncodeToString(r.Body), true
	}
	return string(r.Body), false
}

func (r *Request) domainPrefix() string {
	if r.DomainPrefix != "" {
		return r.DomainPrefix
	}
	p, _, _ := strings.Cut(r.DomainName, ".")
	return p
}

// EventV1 builds the payload format 1.0 event.
func EventV1(r *Request) events.APIGatewayProxyRequest {
	e := events.APIGatewayProxyRequest{
		Resource:       r.Resource,
		Path:           r.Path,
		HTTPMethod:     r.Method,
		StageVariables: nilIfEmpty(r.StageVars),
		PathParameters: nilIfEmpty(r.PathParams),
	}
	if len(r.Headers) > 0 {
		e.Headers = make(map[string]string, len(r.Headers))
		e.MultiValueHeaders = make(map[string][]string, len(r.Headers))
		for _, h := range r.Headers {
			e.Headers[h.Name] = h.Value
			e.MultiValueHeaders[h.Name] = append(e.MultiValueHeaders[h.Name], h.Value)
		}
	}
	if q := parseQuery(r.RawQuery); len(q.names) > 0 {
		e.QueryStringParameters = make(map[string]string, len(q.names))
		e.MultiValueQueryStringParameters = make(map[string][]string, len(q.names))
		for _, n := range q.names {
			vs := q.values[n]
			e.QueryStringParameters[n] = vs[len(vs)-1]
			e.MultiValueQueryStringParameters[n] = vs
		}
	}
	e.Body, e.IsBase64Encoded = r.body()
	var auth map[string]any
	if r.PrincipalID != "" || len(r.AuthContext) > 0 {
		auth = make(map[string]any, len(r.AuthContext)+1)
		if r.JWT {
			// a JWT (Cognito-style) authorizer: the claims under "claims", as API Gateway puts them
			claims := make(map[string]any, len(r.AuthContext))
			for k, v := range r.AuthContext {
				claims[k] = v
			}
			auth["claims"] = claims
		} else {
			for k, v := range r.AuthContext {
				auth[k] = v
			}
		}
		if r.PrincipalID != "" {
			auth["principalId"] = r.PrincipalID
		}
	}
	e.RequestContext = events.APIGatewayProxyRequestContext{
		AccountID:         r.AccountID,
		ResourceID:        r.ResourceID,
		OperationName:     r.OperationName,
		Stage:             r.Stage,
		DomainName:        r.DomainName,
		DomainPrefix:      r.domainPrefix(),
		RequestID:         r.RequestID,
		ExtendedRequestID: r.RequestID,
		Protocol:          r.Protocol,
		Identity: events.APIGatewayRequestIdentity{SourceIP: r.SourceIP, UserAgent: r.UserAgent,
			APIKey: r.APIKey, APIKeyID: r.APIKeyID},
		ResourcePath:     r.Resource,
		Path:             "/" + r.Stage + r.Path,
		Authorizer:       auth,
		HTTPMethod:       r.Method,
		RequestTime:      requestTime(r.Time),
		RequestTimeEpoch: r.Time.UnixMilli(),
		APIID:            r.APIID,
	}
	return e
}

// EventV2 builds the payload format 2.0 event.
func EventV2(r *Request) events.APIGatewayV2HTTPRequest {
	e := events.APIGatewayV2HTTPRequest{
		Version:        V2,
		RouteKey:       r.RouteKey,
		RawPath:        r.Path,
		RawQueryString: r.RawQuery,
		PathParameters: nilIfEmpty(r.PathParams),
		StageVariables: nilIfEmpty(r.StageVars),
		Headers:        map[string]string{},
	}
	if r.Stage != "$default" && r.Stage != "" {
		e.RawPath = "/" + r.Stage + r.Path
	}
	for _, h := range r.Headers {
		name := strings.ToLower(h.Name)
		if name == "cookie" {
			for _, c := range strings.Split(h.Value, ";") {
				if c = strings.TrimSpace(c); c != "" {
					e.Cookies = append(e.Cookies, c)
				}
			}
			continue
		}
		if prev, ok := e.Headers[name]; ok {
			e.Headers[name] = prev + "," + h.Value
		} else {
			e.Headers[name] = h.Value
		}
	}
	if q := parseQuery(r.RawQuery); len(q.names) > 0 {
		e.QueryStringParameters = make(map[string]string, len(q.names))
		for _, n := range q.names {
			e.QueryStringParameters[n] = strings.Join(q.values[n], ",")
		}
	}
	e.Body, e.IsBase64Encoded = r.body()
	var auth *events.APIGatewayV2HTTPRequestContextAuthorizerDescription
	if r.JWT {
		claims := make(map[string]string, len(r.AuthContext))
		for k, v := range r.AuthContext {
			claims[k] = v
		}
		auth = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: r.Scopes}}
	} else if r.PrincipalID != "" || len(r.AuthContext) > 0 {
		l := make(map[string]any, len(r.AuthContext)+1)
		for k, v := range r.AuthContext {
			l[k] = v
		}
		if r.PrincipalID != "" {
			l["principalId"] = r.PrincipalID
		}
		auth = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: l}
	}
	e.RequestContext = events.APIGatewayV2HTTPRequestContext{
		RouteKey:     r.RouteKey,
		AccountID:    r.AccountID,
		Stage:        r.Stage,
		RequestID:    r.RequestID,
		Authorizer:   auth,
		APIID:        r.APIID,
		DomainName:   r.DomainName,
		DomainPrefix: r.domainPrefix(),
		Time:         requestTime(r.Time),
		TimeEpoch:    r.Time.UnixMilli(),
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
			Method: r.Method, Path: e.RawPath, Protocol: r.Protocol, SourceIP: r.SourceIP, UserAgent: r.UserAgent,
		},
	}
	return e
}

// Marshal builds the event of the given format as JSON, member for member as API Gateway
// writes it (see wire.go): the events types of aws-lambda-go decode it, but encode a missing
// body as "" and no identity members at all.
func Marshal(version string, r *Request) ([]byte, error) {
	if version == V1 {
		return json.Marshal(wireEventV1(r))
	}
	return json.Marshal(wireEventV2(r))
}

type query struct {
	names  []string
	values map[string][]string
}

// parseQuery splits a raw query keeping the first-seen order of names; values are decoded.
func parseQuery(raw string) query {
	q := query{}
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if q.values == nil {
			q.values = map[string][]string{}
		}
		if _, seen := q.values[k]; !seen {
			q.names = append(q.names, k)
		}
		q.values[k] = append(q.values[k], v)
	}
	return q
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// Response is a function's answer mapped to HTTP.
type Response struct {
	Status  int
	Headers []Header // in a stable order; repeated names for multi-value headers
	Cookies []string // Set-Cookie values (format 2.0)
	Body    []byte
	// Base64Body is the body as the function sent it when it was base64-encoded (Body holds it
	// decoded): a REST API returns the decoded bytes only to clients that Accept a binary
	// media type, the text to others.
	Base64Body string
}

type rawResponse struct {
	StatusCode        json.RawMessage  `json:"statusCode"`
	Headers           map[string]any   `json:"headers"`
	MultiValueHeaders map[string][]any `json:"multiValueHeaders"`
	Body              json.RawMessage  `json:"body"`
	IsBase64Encoded   bool             `json:"isBase64Encoded"`
	Cookies           []string         `json:"cookies"`
}

// ParseResponse maps a function's response in the given format.
func ParseResponse(version string, b []byte) (*Response, error) {
	if len(b) > MaxResponseBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return nil, fmt.Errorf("%w: not JSON", ErrMalformed)
	}
	isObject := len(b) > 0 && b[0] == '{'
	var raw rawResponse
	if isObject {
		if err := json.Unmarshal(b, &raw); err != nil {
			if version == V1 {
				return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			isObject = false
		}
	}
	if version != V1 && (!isObject || raw.StatusCode == nil) {
		// The 2.0 shortcut: valid JSON without a statusCode is the body of a 200 (a JSON
		// string is the body's text, as AWS: "Hello" answers Hello).
		body := b
		if len(b) > 0 && b[0] == '"' {
			var str string
			if json.Unmarshal(b, &str) == nil {
				body = []byte(str)
			}
		}
		return &Response{Status: 200, Headers: []Header{{"Content-Type", "application/json"}}, Body: body}, nil
	}
	if !isObject {
		return nil, fmt.Errorf("%w: not an object", ErrMalformed)
	}
	status, err := parseStatus(raw.StatusCode)
	if err != nil {
		return nil, err
	}
	resp := &Response{Status: status, Cookies: raw.Cookies}
	seen := map[string]bool{}
	for _, name := range sortedKeys(raw.MultiValueHeaders) {
		for _, v := range raw.MultiValueHeaders[name] {
			s, ok := scalar(v)
			if !ok {
				return nil, fmt.Errorf("%w: header %q", ErrMalformed, name)
			}
			resp.Headers = append(resp.Headers, Header{name, s})
		}
		seen[strings.ToLower(name)] = true
	}
	for _, name := range sortedKeys(raw.Headers) {
		if seen[strings.ToLower(name)] {
			continue
		}
		s, ok := scalar(raw.Headers[name])
		if !ok {
			return nil, fmt.Errorf("%w: header %q", ErrMalformed, name)
		}
		resp.Headers = append(resp.Headers, Header{name, s})
	}
	if len(raw.Body) > 0 && string(raw.Body) != "null" {
		var body string
		if err := json.Unmarshal(raw.Body, &body); err != nil {
			return nil, fmt.Errorf("%w: body is not a string", ErrMalformed)
		}
		if raw.IsBase64Encoded {
			dec, err := base64.StdEncoding.DecodeString(body)
			if err != nil {
				return nil, fmt.Errorf("%w: body is not base64", ErrMalformed)
			}
			resp.Body, resp.Base64Body = dec, body
		} else {
			resp.Body = []byte(body)
		}
	}
	return resp, nil
}

func parseStatus(raw json.RawMessage) (int, error) {
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return 0, fmt.Errorf("%w: statusCode %s", ErrMalformed, raw)
	}
	return n, nil
}

// scalar renders a header value as API Gateway does: strings as is, numbers and booleans as
// written; objects and arrays are malformed.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case nil:
		return "", true
	}
	return "", false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ { // insertion sort: header maps are small
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// IsText reports whether a payload 2.0 body of this content type goes to the function as text
// (HTTP APIs base64-encode everything else).
func IsText(contentType string, body []byte) bool {
	ct, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	ct = strings.TrimSpace(ct)
	switch {
	case ct == "":
		return utf8.Valid(body)
	case strings.HasPrefix(ct, "text/"),
		strings.HasSuffix(ct, "/json"), strings.HasSuffix(ct, "+json"),
		strings.HasSuffix(ct, "/xml"), strings.HasSuffix(ct, "+xml"),
		ct == "application/javascript", ct == "application/x-www-form-urlencoded",
		ct == "application/x-javascript", ct == "application/graphql":
		return true
	}
	return false
}

// MatchMediaType reports whether contentType matches one of an API's binaryMediaTypes
// (exact, "type/*" or "*/*").
func MatchMediaType(contentType string, types []string) bool {
	if len(types) == 0 {
		return false
	}
	ct, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	ct = strings.TrimSpace(ct)
	major, _, _ := strings.Cut(ct, "/")
	for _, t := range types {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "*/*":
			return true
		case t == ct:
			return true
		case strings.HasSuffix(t, "/*") && strings.TrimSuffix(t, "/*") == major && ct != "":
			return true
		}
	}
	return false
}
