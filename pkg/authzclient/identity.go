package authzclient

import (
	"strings"

	"github.com/portico/portico/pkg/wire"
)

// MaxIdentitySources bounds the identity sources of one custom authorizer.
const MaxIdentitySources = 16

// DefaultTokenSource is a TOKEN authorizer's identity source when none is configured.
const DefaultTokenSource = "method.request.header.Authorization"

// IdentityValues returns the values of req.Custom's identity sources, in order. ok is false
// when one is missing or empty, or a source cannot be read: the request is then 401
// Unauthorized without calling the function. A REQUEST authorizer without identity sources
// returns (nil, true) and its decisions are never cached.
//
// Sources: method.request.header.X, method.request.multivalueheader.X,
// method.request.querystring.X, method.request.multivaluequerystring.X,
// method.request.path.X, stageVariables.X, context.X (REST), and $request.header.X,
// $request.querystring.X, $request.path.X, $stageVariables.X, $context.X (HTTP and WebSocket
// APIs). Header names are case-insensitive.
func IdentityValues(req *wire.AuthzRequest) (values []string, ok bool) {
	if req.Custom == nil {
		return nil, true
	}
	src := strings.TrimSpace(req.Custom.IdentitySource)
	if src == "" {
		if req.Custom.Type != wire.AuthorizerToken {
			return nil, true
		}
		src = DefaultTokenSource
	}
	n := strings.Count(src, ",") + 1
	if n > MaxIdentitySources {
		return nil, false
	}
	values = make([]string, 0, n)
	for part := range strings.SplitSeq(src, ",") {
		v, found := identityValue(req, strings.TrimSpace(part))
		if !found || v == "" {
			return nil, false
		}
		values = append(values, v)
	}
	if req.Custom.Type == wire.AuthorizerToken && len(values) != 1 {
		return nil, false
	}
	return values, true
}

func identityValue(req *wire.AuthzRequest, s string) (string, bool) {
	if rest, ok := strings.CutPrefix(s, "$"); ok {
		switch {
		case strings.HasPrefix(rest, "request.header."):
			return header(req, rest[len("request.header."):])
		case strings.HasPrefix(rest, "request.querystring."):
			return query(req, rest[len("request.querystring."):])
		case strings.HasPrefix(rest, "request.path."):
			v, ok := req.PathParams[rest[len("request.path."):]]
			return v, ok
		case strings.HasPrefix(rest, "stageVariables."):
			v, ok := req.StageVariables[rest[len("stageVariables."):]]
			return v, ok
		case strings.HasPrefix(rest, "context."):
			return contextValue(req, rest[len("context."):])
		}
		return "", false
	}
	switch {
	case strings.HasPrefix(s, "method.request.header."):
		return header(req, s[len("method.request.header."):])
	case strings.HasPrefix(s, "method.request.multivalueheader."):
		return header(req, s[len("method.request.multivalueheader."):])
	case strings.HasPrefix(s, "method.request.querystring."):
		return query(req, s[len("method.request.querystring."):])
	case strings.HasPrefix(s, "method.request.multivaluequerystring."):
		return query(req, s[len("method.request.multivaluequerystring."):])
	case strings.HasPrefix(s, "method.request.path."):
		v, ok := req.PathParams[s[len("method.request.path."):]]
		return v, ok
	case strings.HasPrefix(s, "stageVariables."):
		v, ok := req.StageVariables[s[len("stageVariables."):]]
		return v, ok
	case strings.HasPrefix(s, "context."):
		return contextValue(req, s[len("context."):])
	}
	return "", false
}

// header looks name up case-insensitively; several values are joined with ",".
func header(req *wire.AuthzRequest, name string) (string, bool) {
	if name == "" {
		return "", false
	}
	if v, ok := req.Headers[name]; ok {
		return v, true
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return strings.Join(vs, ","), true
		}
	}
	return "", false
}

func query(req *wire.AuthzRequest, name string) (string, bool) {
	if vs, ok := req.MultiValueQuery[name]; ok && len(vs) > 0 {
		return strings.Join(vs, ","), true
	}
	v, ok := req.Query[name]
	return v, ok
}

func contextValue(req *wire.AuthzRequest, name string) (string, bool) {
	if v, ok := req.Context[name]; ok {
		return v, true
	}
	switch name {
	case "requestId":
		return req.RequestID, req.RequestID != ""
	case "identity.sourceIp":
		return req.SourceIP, req.SourceIP != ""
	case "stage":
		return req.Stage, true
	case "apiId":
		return req.APIID, true
	case "httpMethod":
		return req.Method, req.Method != ""
	case "resourcePath":
		return req.ResourcePath, req.ResourcePath != ""
	case "routeKey":
		return req.RouteKey, req.RouteKey != ""
	}
	return "", false
}
