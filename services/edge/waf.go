package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fasthttp"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/waf"
	"github.com/portico/portico/pkg/wire"
)

// webACLs maps a web ACL's ARN to its compiled program. The whole map is swapped atomically.
type webACLs map[string]*waf.Program

// wafAllows evaluates the stage's web ACL, when it has one, before anything else (as AWS WAF
// sits in front of API Gateway). A block answers WAF_FILTERED (403 Forbidden, customisable as
// every gateway response) or the blocking rule's custom response. A stage naming a web ACL this
// edge cannot evaluate (deleted, or an IP set it references is gone) is refused: a firewall
// that cannot run fails closed.
func (s *Service) wafAllows(r *request) bool {
	arn := r.st.stage.WebACLArn
	if arn == "" {
		return true
	}
	var p *waf.Program
	if m := s.webACLs.Load(); m != nil {
		p = (*m)[arn]
	}
	if p == nil {
		s.gatewayError(r, gw.WAFFiltered, "")
		r.st.requests[classIndex(r.ctx.Response.StatusCode())].Inc()
		return false
	}
	ctx := r.ctx
	v := p.Evaluate(&waf.Request{
		Method:   ctx.Method(),
		Path:     wafPath(ctx, r.st.name, r.path),
		Query:    ctx.URI().QueryString(),
		Header:   func(name string) []byte { return ctx.Request.Header.Peek(name) },
		SourceIP: remoteAddr(ctx),
		Body:     ctx.Request.Body(),
	})
	if !v.Block {
		return true
	}
	// A blocked request never reaches the request span; it still counts in the stage's metrics.
	defer func() { r.st.requests[classIndex(ctx.Response.StatusCode())].Inc() }()
	if c := v.Custom; c != nil {
		ctx.Response.SetStatusCode(c.Status)
		for _, h := range c.Headers {
			ctx.Response.Header.Set(h[0], h[1])
		}
		if c.ContentType != "" {
			ctx.Response.Header.SetContentType(c.ContentType)
		}
		ctx.Response.SetBody(c.Body)
		return false
	}
	s.gatewayError(r, gw.WAFFiltered, "")
	return false
}

// wafPath is the URI path WAF inspects: as the client sent it, except that a path-style
// request (/restapis/{api}/{stage}/_user_request_/…) is seen as the /{stage}/… of an
// execute-api host, as AWS's WAF sees it.
func wafPath(ctx *fasthttp.RequestCtx, stage, path string) []byte {
	p := ctx.URI().PathOriginal()
	if !bytes.HasPrefix(p, []byte(pathStylePrefix)) {
		return p
	}
	return []byte("/" + stage + path)
}

// remoteAddr is the client's address (IPv4-mapped IPv6 addresses unmapped).
func remoteAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	a, _ := netip.AddrFromSlice(ctx.RemoteIP())
	return a.Unmap()
}

// watchWAF keeps the compiled web ACLs in step with the config bucket; loaded is called once,
// after the first complete read, so that the edge serves no stage before its firewall.
func (s *Service) watchWAF(ctx context.Context, kv jetstream.KeyValue, loaded func()) {
	s.keepFollowing(ctx, "web ACLs", func(ctx context.Context) error { return s.followWAF(ctx, kv, loaded) })
}

func (s *Service) followWAF(ctx context.Context, kv jetstream.KeyValue, loaded func()) error {
	acls := map[string]*waf.WebACL{} // by key
	sets := map[string]*waf.IPSet{}  // by key
	synced := false
	return followKeys(ctx, kv, wire.KeyWAFPrefix, func(e jetstream.KeyValueEntry) {
		s.applyWAF(e, acls, sets)
		if synced {
			s.compileWAF(acls, sets)
		}
	}, func() {
		synced = true
		s.compileWAF(acls, sets)
		loaded()
	})
}

// applyWAF records one change of a web ACL or IP set.
func (s *Service) applyWAF(e jetstream.KeyValueEntry, acls map[string]*waf.WebACL, sets map[string]*waf.IPSet) {
	k := e.Key()
	put := e.Operation() == jetstream.KeyValuePut
	switch {
	case strings.HasPrefix(k, wire.KeyWebACLsPrefix):
		delete(acls, k)
		if put {
			var a waf.WebACL
			if err := json.Unmarshal(e.Value(), &a); err != nil {
				s.log.Warn("bad web ACL record", "key", k, "err", err)
				return
			}
			acls[k] = &a
		}
	case strings.HasPrefix(k, wire.KeyWAFIPSetsPrefix):
		delete(sets, k)
		if put {
			var set waf.IPSet
			if err := json.Unmarshal(e.Value(), &set); err != nil {
				s.log.Warn("bad IP set record", "key", k, "err", err)
				return
			}
			sets[k] = &set
		}
	}
}

// compileWAF compiles every web ACL against the current IP sets and swaps the result in. An
// ACL that does not compile is left out (its stages then fail closed) and logged.
func (s *Service) compileWAF(acls map[string]*waf.WebACL, sets map[string]*waf.IPSet) {
	byARN := make(map[string]*waf.IPSet, len(sets))
	for _, set := range sets {
		byARN[set.ARN] = set
	}
	next := make(webACLs, len(acls))
	for k, a := range acls {
		p, err := waf.Compile(a, byARN)
		if err != nil {
			s.log.Warn("compiling web ACL", "key", k, "arn", a.ARN, "err", err)
			continue
		}
		next[a.ARN] = p
	}
	s.webACLs.Store(&next)
}
