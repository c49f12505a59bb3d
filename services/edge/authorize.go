package edge

import (
	"context"

	"github.com/valyala/fasthttp"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/edge/ws"
)

// authConf is a route's authorization, resolved once per deployment.
type authConf struct {
	typ        string // model.Auth*
	custom     *wire.CustomAuthorizer
	jwt        *wire.JWTAuthorizer
	scopes     []string
	needAPIKey bool
	// keyFromAuthorizer: the API's apiKeySource is AUTHORIZER, so the x-api-key header is
	// ignored and the authorizer's usageIdentifierKey is the key.
	keyFromAuthorizer bool
	// misconfigured names what is wrong (an authorizer id that does not exist): every request
	// gets a 500 AUTHORIZER_CONFIGURATION_ERROR rather than passing unchecked.
	misconfigured string
}

// stageAuth resolves every route's authorization once per deployment, and the WebSocket
// $connect route's.
func (s *Service) stageAuth(st *stageState) {
	byID := map[string]*model.Authorizer{}
	for i := range st.api.Authorizers {
		byID[st.api.Authorizers[i].ID] = &st.api.Authorizers[i]
	}
	st.routes.Each(func(_, _ string, t *target) { t.auth = resolveAuth(st, t, byID) })
	if st.defaultRoute != nil {
		st.defaultRoute.auth = resolveAuth(st, st.defaultRoute, byID)
	}
	st.connect = nil
	for i := range st.api.Routes {
		if r := &st.api.Routes[i]; r.RouteKey == "$connect" {
			t := &target{routeKey: r.RouteKey, resourcePath: r.RouteKey, method: "GET", needAPIKey: r.APIKeyRequired, route_: r}
			t.auth = resolveAuth(st, t.prepare(), byID)
			st.connect = t
		}
	}
	st.policy, st.policyBroken = nil, false
	if st.api.Policy != "" {
		p, err := iampolicy.Parse([]byte(st.api.Policy))
		if err != nil {
			s.log.Warn("resource policy unreadable: every request is refused", "api_id", st.apiID, "err", err)
			st.policyBroken = true
			return
		}
		st.policy = p
	}
}

// resolveAuth is a route's authorization: its type, and the authorizer it names.
func resolveAuth(st *stageState, t *target, byID map[string]*model.Authorizer) authConf {
	a := authConf{typ: model.AuthNone, needAPIKey: t.needAPIKey, keyFromAuthorizer: st.api.APIKeySource == "AUTHORIZER"}
	var authorizerID string
	switch {
	case t.method_ != nil:
		a.typ, authorizerID, a.scopes = t.method_.AuthorizationType, t.method_.AuthorizerID, t.method_.AuthorizationScopes
	case t.route_ != nil:
		a.typ, authorizerID = t.route_.AuthorizationType, t.route_.AuthorizerID
	}
	if a.typ == "" {
		a.typ = model.AuthNone
	}
	if a.typ != model.AuthCustom && a.typ != model.AuthJWT && a.typ != model.AuthCognito {
		return a
	}
	az := byID[authorizerID]
	switch {
	case az == nil:
		a.misconfigured = "authorizer " + authorizerID + " not found"
	case az.Type == "JWT" || az.JWTConfiguration != nil:
		a.typ = model.AuthJWT
		a.jwt = &wire.JWTAuthorizer{ID: az.ID}
		if c := az.JWTConfiguration; c != nil {
			a.jwt.Issuer, a.jwt.Audience = c.Issuer, c.Audience
		}
	case az.Type == "COGNITO_USER_POOLS":
		a.misconfigured = "COGNITO_USER_POOLS authorizers need a JWT issuer: define the authorizer as JWT"
	default:
		a.typ = model.AuthCustom
		typ := az.Type
		if typ == "" {
			typ = wire.AuthorizerToken
		}
		a.custom = &wire.CustomAuthorizer{ID: az.ID, Type: typ, FunctionSubject: wire.AuthorizerSubject(az.AuthorizerURI),
			IdentitySource: az.IdentitySource, IdentityValidationExpression: az.IdentityValidationExpression,
			PayloadFormat: az.AuthorizerPayloadFormatVersion, EnableSimpleResponses: az.EnableSimpleResponses,
			TTLSeconds: az.AuthorizerResultTTLInSeconds}
		if a.custom.IdentitySource == "" && typ == wire.AuthorizerToken {
			a.custom.IdentitySource = "method.request.header.Authorization"
		}
	}
	return a
}

// connectAuth authorizes a WebSocket handshake with the $connect route's authorization (IAM,
// custom or JWT authorizer, API key); a refusal's status and AWS body are in the response.
func (s *Service) connectAuth(c *fasthttp.RequestCtx, t ws.Target) (int, string, map[string]string) {
	st := (*s.tables.Load())[t.APIID+"/"+t.Stage]
	if st == nil || st.connect == nil {
		return 0, "", nil
	}
	r := request{ctx: c, id: newRequestID(), st: st, t: st.connect, path: "/"}
	if !s.authorize(context.Background(), &r) {
		return c.Response.StatusCode(), "", nil
	}
	return 0, r.decision.PrincipalID, r.decision.Context
}

// methodARN is the execute-api ARN of the request, as IAM policies and authorizers see it.
func (s *Service) methodARN(r *request) string {
	return iampolicy.MethodARN(s.cfg.Region, s.cfg.AccountID, r.st.apiID, r.st.name, string(r.ctx.Method()), r.path)
}

// authorize runs the route's authorization (IAM, JWT, custom authorizer, API key) and the API's
// resource policy; false means the response is written.
func (s *Service) authorize(ctx context.Context, r *request) bool {
	a := &r.t.auth
	st := r.st
	if a.typ == model.AuthNone && !a.needAPIKey && st.policy == nil && !st.policyBroken {
		return true
	}
	if a.misconfigured != "" {
		s.log.Error("route authorization misconfigured", "api_id", st.apiID, "route", r.t.routeKey, "problem", a.misconfigured)
		s.gatewayError(r, gw.AuthorizerConfigurationError, "")
		return false
	}
	if st.policyBroken {
		s.gatewayError(r, gw.AccessDenied, "")
		return false
	}
	methodARN := s.methodARN(r)
	sourceIP := r.ctx.RemoteIP().String()
	var d wire.AuthzDecision
	var err error
	principal := ""
	switch a.typ {
	case model.AuthIAM:
		d, err = s.deps.Authz.VerifySigV4(ctx, sigv4Request(r.ctx), methodARN, sourceIP)
		principal = d.PrincipalID
		if err == nil && d.Allow && a.needAPIKey {
			d, err = s.checkAPIKey(ctx, r, methodARN, sourceIP, d)
		}
	case model.AuthNone:
		if a.needAPIKey {
			d, err = s.checkAPIKey(ctx, r, methodARN, sourceIP, wire.AuthzDecision{})
		} else {
			d = wire.AuthzDecision{Allow: true}
		}
	default:
		req := s.authzRequest(r, methodARN, sourceIP)
		d, err = s.deps.Authz.Check(ctx, req)
	}
	if err != nil {
		s.log.Error("authz check failed", "request_id", r.id, "err", err)
		s.gatewayError(r, gw.AuthorizerFailure, "")
		return false
	}
	if st.policy != nil {
		res := st.policy.Evaluate(&iampolicy.Request{Principal: principal, Action: "execute-api:Invoke", Resource: methodARN, SourceIP: sourceIP})
		auth := iampolicy.AuthNone
		switch a.typ {
		case model.AuthIAM:
			auth = iampolicy.AuthIAM
		case model.AuthCustom:
			auth = iampolicy.AuthCustom
		case model.AuthJWT, model.AuthCognito:
			auth = iampolicy.AuthCognito
		}
		authzResult := iampolicy.ImplicitDeny
		if d.Allow {
			authzResult = iampolicy.Allow
		} else if d.CapitalMessage {
			authzResult = iampolicy.ExplicitDeny
		}
		if a.typ == model.AuthNone || d.Allow || res == iampolicy.ExplicitDeny {
			if iampolicy.Combine(true, res, auth, authzResult) != iampolicy.Allow {
				s.denyByPolicy(r, principal, methodARN, res == iampolicy.ExplicitDeny)
				return false
			}
			if a.typ == model.AuthIAM {
				d.Allow = true
			}
		}
	}
	if !d.Allow {
		s.deny(r, &d)
		return false
	}
	r.decision = d
	return true
}

// checkAPIKey asks authz about the request's API key (on top of an IAM identity, or alone).
func (s *Service) checkAPIKey(ctx context.Context, r *request, methodARN, sourceIP string, prior wire.AuthzDecision) (wire.AuthzDecision, error) {
	req := wire.AuthzRequest{APIID: r.st.apiID, Stage: r.st.name, Method: string(r.ctx.Method()), Path: r.path,
		MethodARN: methodARN, SourceIP: sourceIP, NeedAPIKey: true, ResourcePath: r.t.resourcePath}
	if !r.t.auth.keyFromAuthorizer {
		req.APIKey = string(r.ctx.Request.Header.Peek("x-api-key"))
	}
	d, err := s.deps.Authz.Check(ctx, &req)
	if err == nil && d.Allow && prior.PrincipalID != "" {
		d.PrincipalID = prior.PrincipalID
	}
	return d, err
}

// authzRequest builds the request for a JWT or custom authorizer (plus the API key, when the
// route needs one: authz checks both in one call).
func (s *Service) authzRequest(r *request, methodARN, sourceIP string) *wire.AuthzRequest {
	a := &r.t.auth
	c := r.ctx
	req := &wire.AuthzRequest{APIID: r.st.apiID, Stage: r.st.name, Method: string(c.Method()), Path: r.path,
		MethodARN: methodARN, SourceIP: sourceIP, NeedAPIKey: a.needAPIKey, JWT: a.jwt, Scopes: a.scopes, Custom: a.custom,
		RequestID: r.id, ResourcePath: r.t.resourcePath, AccountID: s.cfg.AccountID, RouteKey: r.t.routeKey}
	if a.needAPIKey && !a.keyFromAuthorizer {
		req.APIKey = string(c.Request.Header.Peek("x-api-key"))
	}
	if a.jwt != nil {
		req.Token = string(c.Request.Header.Peek("Authorization"))
	}
	if a.custom != nil {
		req.Headers = map[string]string{}
		req.MultiValueHeaders = map[string][]string{}
		for k, v := range c.Request.Header.All() {
			name := string(k)
			req.Headers[name] = string(v)
			req.MultiValueHeaders[name] = append(req.MultiValueHeaders[name], string(v))
		}
		if q := c.URI().QueryArgs(); q.Len() > 0 {
			req.Query = map[string]string{}
			req.MultiValueQuery = map[string][]string{}
			for k, v := range q.All() {
				req.Query[string(k)] = string(v)
				req.MultiValueQuery[string(k)] = append(req.MultiValueQuery[string(k)], string(v))
			}
			req.RawQuery = string(c.URI().QueryString())
		}
		if len(r.params) > 0 {
			req.PathParams = make(map[string]string, len(r.params))
			for _, p := range r.params {
				req.PathParams[p.Name] = p.Value
			}
		}
		req.StageVariables = r.st.stage.Variables
		req.Context = map[string]string{"requestId": r.id, "stage": r.st.name, "apiId": r.st.apiID,
			"httpMethod": string(c.Method()), "resourcePath": r.t.resourcePath, "identity.sourceIp": sourceIP}
	}
	return req
}

// deny renders an authorization refusal as AWS does.
func (s *Service) deny(r *request, d *wire.AuthzDecision) {
	t := gw.Type(d.GatewayResponse)
	if t == "" {
		switch d.Code {
		case wire.CodeUnauthorized:
			t = gw.Unauthorized
		case wire.CodeForbidden, "":
			t = gw.InvalidAPIKey
			if r.t.auth.typ != model.AuthNone && !r.t.auth.needAPIKey {
				t = gw.AccessDenied
			}
		case wire.CodeUnavailable:
			t = gw.AuthorizerFailure
		default:
			t = gw.AccessDenied
		}
	}
	if _, known := gw.Defaults[t]; !known {
		t = gw.AccessDenied
	}
	if d.CapitalMessage {
		s.capitalDeny(r, t, d.Message)
		return
	}
	msg := d.Message
	if t == gw.InvalidAPIKey || t == gw.Unauthorized {
		msg = "" // AWS's fixed text, whatever authz said
	}
	s.gatewayError(r, t, msg)
}

// denyByPolicy answers a resource-policy refusal: 403 {"Message":"User: … is not authorized …"}.
func (s *Service) denyByPolicy(r *request, principal, methodARN string, explicit bool) {
	if principal == "" {
		principal = "anonymous"
	}
	s.capitalDeny(r, gw.AccessDenied, iampolicy.DenyMessage(principal, "execute-api:Invoke", methodARN, explicit))
}

// capitalDeny writes AWS's policy-denial body, {"Message":"…"} with a capital M, with the
// status and headers of gateway response t (custom templates still apply).
func (s *Service) capitalDeny(r *request, t gw.Type, message string) {
	resp := gw.Render(t, message, r.st.api.GatewayResponses)
	if _, custom := r.st.api.GatewayResponses[string(t)]; !custom {
		resp.Body = []byte(`{"Message":` + quote(message) + `}`)
	}
	writeGateway(r.ctx, resp)
}

// sigv4Request adapts a fasthttp request to the verifier, with no copies of headers.
func sigv4Request(c *fasthttp.RequestCtx) *sigv4.Request {
	h := &c.Request.Header
	return &sigv4.Request{
		Method:   string(c.Method()),
		RawPath:  string(c.URI().PathOriginal()),
		RawQuery: string(c.URI().QueryString()),
		Host:     string(c.Host()),
		HeaderValues: func(name string) []string {
			vs := h.PeekAll(name)
			out := make([]string, len(vs))
			for i, v := range vs {
				out[i] = string(v)
			}
			return out
		},
		Body: c.Request.Body(),
	}
}
