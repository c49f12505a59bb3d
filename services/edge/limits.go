package edge

import (
	"github.com/valyala/fasthttp"

	gw "github.com/portico/portico/pkg/gatewayresponse"
)

// uriTooLong answers 414 when the request URI is over MaxURLBytes; true means the response is
// written. (A request line or headers over MaxHeaderBytes never reach the handler: fasthttp
// refuses them and serverError answers 431.)
func (s *Service) uriTooLong(ctx *fasthttp.RequestCtx) bool {
	if len(ctx.Request.Header.RequestURI()) <= s.cfg.MaxURLBytes {
		return false
	}
	writeGateway(ctx, gw.Response{Status: fasthttp.StatusRequestURITooLong, Body: gw.DefaultBody("Request-URI Too Long")})
	return true
}
