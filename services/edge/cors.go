package edge

import (
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/pkg/model"
)

// corsPolicy is an HTTP API's CORS configuration, compiled once per deployment.
type corsPolicy struct {
	anyOrigin     bool
	origins       map[string]bool // lower case
	credentials   bool
	allowHeaders  string // joined for Access-Control-Allow-Headers; "*" allows what is asked
	anyHeader     bool
	allowMethods  string
	anyMethod     bool
	methods       map[string]bool
	exposeHeaders string
	maxAge        string
}

func compileCors(c *model.Cors) *corsPolicy {
	if c == nil {
		return nil
	}
	p := &corsPolicy{origins: map[string]bool{}, methods: map[string]bool{}, credentials: c.AllowCredentials}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			p.anyOrigin = true
		}
		p.origins[strings.ToLower(strings.TrimSuffix(o, "/"))] = true
	}
	for _, h := range c.AllowHeaders {
		if h == "*" {
			p.anyHeader = true
		}
	}
	p.allowHeaders = strings.ToLower(strings.Join(c.AllowHeaders, ","))
	for _, m := range c.AllowMethods {
		m = strings.ToUpper(m)
		if m == "*" {
			p.anyMethod = true
		}
		p.methods[m] = true
	}
	p.allowMethods = strings.ToUpper(strings.Join(c.AllowMethods, ","))
	p.exposeHeaders = strings.ToLower(strings.Join(c.ExposeHeaders, ","))
	if c.MaxAge != nil {
		p.maxAge = strconv.Itoa(*c.MaxAge)
	}
	return p
}

// allowOrigin is the Access-Control-Allow-Origin value for origin, "" when not allowed.
func (p *corsPolicy) allowOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	if p.origins[strings.ToLower(origin)] {
		return origin
	}
	if p.anyOrigin {
		if p.credentials {
			return origin // "*" is not valid with credentials
		}
		return "*"
	}
	return ""
}

// cors handles CORS for HTTP APIs with a CORS configuration: it answers a preflight request
// (true: the response is written) and otherwise puts the CORS headers on the response.
func (s *Service) cors(r *request) bool {
	p := r.st.cors
	if p == nil {
		return false
	}
	c := r.ctx
	origin := string(c.Request.Header.Peek("Origin"))
	reqMethod := string(c.Request.Header.Peek("Access-Control-Request-Method"))
	if c.IsOptions() && origin != "" && reqMethod != "" {
		c.Response.SetStatusCode(fasthttp.StatusNoContent)
		allow := p.allowOrigin(origin)
		if allow == "" || !(p.anyMethod || p.methods[strings.ToUpper(reqMethod)]) {
			return true
		}
		h := &c.Response.Header
		h.Set("Access-Control-Allow-Origin", allow)
		if p.anyMethod {
			h.Set("Access-Control-Allow-Methods", strings.ToUpper(reqMethod))
		} else {
			h.Set("Access-Control-Allow-Methods", p.allowMethods)
		}
		if asked := c.Request.Header.Peek("Access-Control-Request-Headers"); len(asked) > 0 {
			if p.anyHeader {
				h.SetBytesV("Access-Control-Allow-Headers", asked)
			} else if p.allowHeaders != "" {
				h.Set("Access-Control-Allow-Headers", p.allowHeaders)
			}
		}
		if p.credentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if p.maxAge != "" {
			h.Set("Access-Control-Max-Age", p.maxAge)
		}
		return true
	}
	s.corsHeaders(r)
	return false
}

// corsHeaders puts the CORS headers of an actual request on the response (again after the
// integration, whose headers may have replaced them).
func (s *Service) corsHeaders(r *request) {
	p := r.st.cors
	if p == nil {
		return
	}
	c := r.ctx
	allow := p.allowOrigin(string(c.Request.Header.Peek("Origin")))
	if allow == "" {
		return
	}
	h := &c.Response.Header
	h.Set("Access-Control-Allow-Origin", allow)
	if allow != "*" {
		h.Add("Vary", "Origin")
	}
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if p.exposeHeaders != "" {
		h.Set("Access-Control-Expose-Headers", p.exposeHeaders)
	}
}
