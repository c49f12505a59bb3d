package edge

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
)

// scriptedAuthz answers every check with the decision (or error) the request's path names, so
// the edge's rendering of each authorization outcome can be triggered for real.
type scriptedAuthz map[string]struct {
	d   wire.AuthzDecision
	err error
}

func (s scriptedAuthz) Check(_ context.Context, req *wire.AuthzRequest) (wire.AuthzDecision, error) {
	a := s[req.Path]
	return a.d, a.err
}

func (s scriptedAuthz) VerifySigV4(_ context.Context, r *sigv4.Request, _, _ string) (wire.AuthzDecision, error) {
	a := s[r.RawPath[len("/restapis/gwrapi0001/s/_user_request_"):]]
	return a.d, a.err
}

// TestAuthorizationGatewayResponses: each authorization outcome is rendered as its AWS gateway
// response (status, body, x-amzn-ErrorType), and an API's customisation of the type applies.
func TestAuthorizationGatewayResponses(t *testing.T) {
	authz := scriptedAuthz{
		"/failure":   {err: errors.New("authz unreachable")},
		"/config":    {d: wire.AuthzDecision{Code: wire.CodeInternal, GatewayResponse: "AUTHORIZER_CONFIGURATION_ERROR"}},
		"/expired":   {d: wire.AuthzDecision{Code: wire.CodeForbidden, GatewayResponse: "EXPIRED_TOKEN", Message: "The security token included in the request is expired"}},
		"/signature": {d: wire.AuthzDecision{Code: wire.CodeForbidden, GatewayResponse: "INVALID_SIGNATURE"}},
		"/unauth":    {d: wire.AuthzDecision{Code: wire.CodeUnauthorized}},
		"/denied":    {d: wire.AuthzDecision{Code: wire.CodeForbidden, GatewayResponse: "ACCESS_DENIED", CapitalMessage: true, Message: "User is not authorized to access this resource with an explicit deny"}},
		"/custom":    {d: wire.AuthzDecision{Code: wire.CodeUnauthorized}},
	}
	h := newHarnessWith(t, authz)
	mock := func(auth string) map[string]model.Method {
		return map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: auth, AuthorizerID: "az",
			MethodIntegration: &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
				IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200"}}}}}
	}
	api := restAPI("gwrapi0001",
		resource("/failure", mock(model.AuthCustom)), resource("/config", mock(model.AuthCustom)),
		resource("/expired", mock(model.AuthIAM)), resource("/signature", mock(model.AuthIAM)),
		resource("/unauth", mock(model.AuthCustom)), resource("/denied", mock(model.AuthCustom)),
		resource("/custom", mock(model.AuthCustom)),
		resource("/noauthorizer", map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: model.AuthCustom, AuthorizerID: "missing",
			MethodIntegration: &model.Integration{Type: model.IntegrationMock}}}))
	api.Authorizers = []model.Authorizer{{ID: "az", Name: "tok", Type: "TOKEN", AuthorizerURI: "fn"}}
	h.deploy(api, "s", nil)
	cases := []struct {
		path, errorType string
		status          int
		body            string
	}{
		{"/failure", "AuthorizerFailureException", 500, `{"message":"Internal server error"}`},
		{"/config", "AuthorizerConfigurationException", 500, `{"message":"Internal server error"}`},
		{"/noauthorizer", "AuthorizerConfigurationException", 500, `{"message":"Internal server error"}`},
		{"/expired", "ExpiredTokenException", 403, `{"message":"The security token included in the request is expired"}`},
		{"/signature", "InvalidSignatureException", 403, ""},
		{"/unauth", "UnauthorizedException", 401, `{"message":"Unauthorized"}`},
		{"/denied", "AccessDeniedException", 403, `{"Message":"User is not authorized to access this resource with an explicit deny"}`},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			r := h.do("GET", restPath("gwrapi0001", "s", tc.path), "")
			expectResp(t, "GET "+tc.path, r, tc.status, tc.body)
			if got := r.header.Get("x-amzn-ErrorType"); got != tc.errorType {
				t.Errorf("GET %s x-amzn-ErrorType = %q, want %q", tc.path, got, tc.errorType)
			}
		})
	}
	// the API customises UNAUTHORIZED: status, header and template
	api.GatewayResponses = map[string]model.GatewayResponse{"UNAUTHORIZED": {StatusCode: "418",
		ResponseParameters: map[string]string{"gatewayresponse.header.X-Why": "'no token'"},
		ResponseTemplates:  map[string]string{"application/json": `{"error":$context.error.messageString}`}}}
	h.deploy(api, "s", nil)
	r := h.do("GET", restPath("gwrapi0001", "s", "/custom"), "")
	expectResp(t, "customised UNAUTHORIZED", r, 418, `{"error":"Unauthorized"}`)
	if r.header.Get("X-Why") != "no token" {
		t.Errorf("customised UNAUTHORIZED header X-Why = %q", r.header.Get("X-Why"))
	}
}

// TestIntegrationFailure: an HTTP backend that cannot be reached, and a NATS backend that
// answers a malformed status, are INTEGRATION_FAILURE gateway responses.
func TestIntegrationFailure(t *testing.T) {
	h := newHarness(t)
	sub, err := h.nc.Subscribe("gw.badstatus", func(m *nats.Msg) {
		reply := nats.NewMsg(m.Reply)
		reply.Header.Set(wire.HeaderStatus, "not-a-status")
		_ = m.RespondMsg(reply)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more
	api := restAPI("intfail001",
		resource("/http", map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
			MethodIntegration: &model.Integration{Type: model.IntegrationHTTPProxy, HTTPMethod: "GET", URI: closed + "/x"}}}),
		resource("/nats", map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
			MethodIntegration: &model.Integration{Type: model.IntegrationNATSProxy, URI: "gw.badstatus"}}}))
	h.deploy(api, "s", nil)
	for path, status := range map[string]int{"/http": 500, "/nats": 502} {
		r := h.do("GET", restPath("intfail001", "s", path), "")
		expectResp(t, "GET "+path, r, status, `{"message":"Internal server error"}`)
		if got := r.header.Get("x-amzn-ErrorType"); got != "InternalServerErrorException" {
			t.Errorf("GET %s x-amzn-ErrorType = %q", path, got)
		}
	}
}
