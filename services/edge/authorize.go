package edge

import (
	"context"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/wire"
)

// authorize runs the route's authorization; false means the response is written.
func (s *Service) authorize(ctx context.Context, r *request) bool {
	if !r.t.needAPIKey {
		return true
	}
	req := wire.AuthzRequest{APIID: r.st.apiID, Stage: r.st.name, Method: string(r.ctx.Method()), Path: r.path,
		APIKey: string(r.ctx.Request.Header.Peek("x-api-key")), NeedAPIKey: true}
	d, err := s.deps.Authz.Check(ctx, &req)
	if err != nil {
		s.log.Error("authz check failed", "request_id", r.id, "err", err)
		s.gatewayError(r, gw.AuthorizerFailure, "")
		return false
	}
	if !d.Allow {
		switch d.Code {
		case wire.CodeUnauthorized:
			s.gatewayError(r, gw.Unauthorized, "")
		case wire.CodeForbidden, "":
			s.gatewayError(r, gw.InvalidAPIKey, "")
		default:
			s.gatewayError(r, gw.AccessDenied, d.Message)
		}
		return false
	}
	r.decision = d
	return true
}

