package edge

import (
	"context"

	"github.com/valyala/fasthttp"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/wire"
)

// throttle applies the stage's rate limit; false means the response is written.
func (s *Service) throttle(ctx context.Context, r *request) bool {
	if !r.st.throttled {
		return true
	}
	ok, code := s.deps.Limiter.Allow(ctx, r.st.throttleKey, r.st.rate, r.st.burst)
	if ok {
		return true
	}
	if code == wire.CodeUnavailable {
		s.gatewayError(r, gw.Default5XX, "Service Unavailable")
		r.ctx.Response.SetStatusCode(fasthttp.StatusServiceUnavailable)
		return false
	}
	s.gatewayError(r, gw.Throttled, "")
	return false
}

