package authzclient

import (
	"context"
	"crypto/sha256"

	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/wire"
)

// Messages and gateway response types of custom authorizer decisions, as AWS answers them.
const (
	MsgUnauthorized  = "Unauthorized"
	MsgExplicitDeny  = "User is not authorized to access this resource with an explicit deny"
	GatewayUnauth    = "UNAUTHORIZED"
	GatewayDenied    = "ACCESS_DENIED"
	GatewayAuthFail  = "AUTHORIZER_FAILURE"
	GatewayAuthError = "AUTHORIZER_CONFIGURATION_ERROR"
)

// UnauthorizedDecision is the 401 of a custom authorizer whose identity source is missing.
func UnauthorizedDecision() wire.AuthzDecision {
	return wire.AuthzDecision{Code: wire.CodeUnauthorized, Message: MsgUnauthorized, GatewayResponse: GatewayUnauth}
}

// ExplicitDenyDecision is the 403 of a custom authorizer's policy that does not allow the
// method ARN: {"Message":"User is not authorized to access this resource with an explicit deny"}.
func ExplicitDenyDecision() wire.AuthzDecision {
	return wire.AuthzDecision{Code: wire.CodeForbidden, Message: MsgExplicitDeny, GatewayResponse: GatewayDenied, CapitalMessage: true}
}

// checkCustom answers a request guarded by a custom authorizer: a missing identity source is
// 401 at once, without a request to authz; otherwise the decision is cached under (API id,
// stage, authorizer id, identity-source values, API key). A policy answer is cached whole
// and each request's method ARN evaluated against it.
func (c *Client) checkCustom(ctx context.Context, req *wire.AuthzRequest) (wire.AuthzDecision, error) {
	if _, ok := IdentityValues(req); !ok {
		return UnauthorizedDecision(), nil
	}
	return c.check(ctx, req)
}

// cacheableCustom: a REQUEST authorizer without identity sources is never cached (its
// decision may depend on anything in the request).
func cacheableCustom(req *wire.AuthzRequest) bool {
	return req.Custom.Type == wire.AuthorizerToken || req.Custom.IdentitySource != ""
}

// SourcesDigest is the SHA-256 of a custom authorizer's identity-source values (each
// followed by a zero byte): the identity part of the decision's cache key. authz reports its
// first 8 bytes, hex, as AuthzDecision.CacheKeyExtra.
func SourcesDigest(req *wire.AuthzRequest) [sha256.Size]byte {
	values, _ := IdentityValues(req)
	h := sha256.New()
	for _, v := range values {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// resolve is the decision for req: for a cached policy, Allow is re-evaluated against the
// request's method ARN.
func (e *entry) resolve(req *wire.AuthzRequest) wire.AuthzDecision {
	if e.policy == nil {
		return e.decision
	}
	d := e.decision
	allowed := e.policy.Evaluate(&iampolicy.Request{Action: iampolicy.ActionInvoke, Resource: req.MethodARN}) == iampolicy.Allow
	if allowed {
		d.Allow, d.Code, d.Message, d.GatewayResponse, d.CapitalMessage = true, wire.CodeOK, "", "", false
		return d
	}
	deny := ExplicitDenyDecision()
	d.Allow, d.Code, d.Message, d.GatewayResponse, d.CapitalMessage = false, deny.Code, deny.Message, deny.GatewayResponse, true
	return d
}
