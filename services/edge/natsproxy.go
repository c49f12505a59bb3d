package edge

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/nats-io/nats.go"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// methodValues holds the common methods as ready header values, so the hot path does not
// allocate them.
var methodValues = func() map[string][]string {
	m := map[string][]string{}
	for _, v := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"} {
		m[v] = []string{v}
	}
	return m
}()

// nativeBuf is the reusable storage of one native message: the header map, the value slices
// and the bytes the client's header names and values, the path parameters, the query and the
// source IP are copied into. nats.go encodes the headers while it sends, so once natsRequest
// has sent the message all of it can serve the next request.
type nativeBuf struct {
	msg  nats.Msg
	h    nats.Header
	vals []string
	buf  []byte
}

// maxPooledNativeBuf bounds what a pooled buffer keeps between requests.
const maxPooledNativeBuf = 64 << 10

var nativeBufs = sync.Pool{New: func() any {
	return &nativeBuf{h: make(nats.Header, 24), vals: make([]string, 0, 24), buf: make([]byte, 0, 2048)}
}}

func (b *nativeBuf) release() {
	if cap(b.buf) > maxPooledNativeBuf || len(b.h) > 64 {
		return
	}
	clear(b.h)
	clear(b.vals[:cap(b.vals)])
	b.vals, b.buf = b.vals[:0], b.buf[:0]
	b.msg = nats.Msg{}
	nativeBufs.Put(b)
}

// value returns s as a one-element header value backed by b.vals.
func (b *nativeBuf) value(s string) []string {
	i := len(b.vals)
	b.vals = append(b.vals, s)
	return b.vals[i : i+1 : i+1]
}

// bufString is b.buf[from:to] as a string without a copy: valid until b is released.
func (b *nativeBuf) bufString(from, to int) string {
	if from == to {
		return ""
	}
	return unsafe.String(&b.buf[from], to-from)
}

// nativeMsg builds the native message of pkg/wire for subject: the client's headers (minus
// reserved ones), Portico's metadata headers and body as the payload. Its strings point into
// the returned buffer: release it only once the message is sent.
func (s *Service) nativeMsg(r *request, subject string, body []byte) (*nats.Msg, *nativeBuf) {
	c := r.ctx
	nb := nativeBufs.Get().(*nativeBuf)
	h := nb.h
	// First copy every byte the headers need into nb.buf, remembering where each piece is (the
	// buffer may move while it grows), then make the strings.
	type piece struct{ k0, k1, v1 int }
	var piecesArr [32]piece
	pieces := piecesArr[:0]
	for k, v := range c.Request.Header.All() {
		if len(k) >= len(wire.HeaderPrefix) && wire.IsReserved(string(k[:len(wire.HeaderPrefix)])) {
			continue
		}
		k0 := len(nb.buf)
		nb.buf = append(nb.buf, k...)
		k1 := len(nb.buf)
		nb.buf = append(nb.buf, v...)
		pieces = append(pieces, piece{k0, k1, len(nb.buf)})
	}
	pp0 := len(nb.buf)
	for i, p := range r.params {
		if i > 0 {
			nb.buf = append(nb.buf, '&')
		}
		nb.buf = appendQueryEscape(nb.buf, p.Name)
		nb.buf = append(nb.buf, '=')
		nb.buf = appendQueryEscape(nb.buf, p.Value)
	}
	q0 := len(nb.buf)
	nb.buf = append(nb.buf, c.URI().QueryString()...)
	ip0 := len(nb.buf)
	nb.buf = appendRemoteIP(nb.buf, c)
	ip1 := len(nb.buf)

	for _, p := range pieces {
		name := nb.bufString(p.k0, p.k1)
		if vs, ok := h[name]; ok {
			h[name] = append(vs, nb.bufString(p.k1, p.v1))
			continue
		}
		h[name] = nb.value(nb.bufString(p.k1, p.v1))
	}
	method := c.Method()
	if mv, ok := methodValues[string(method)]; ok {
		h[wire.HeaderMethod] = mv
	} else {
		h[wire.HeaderMethod] = nb.value(string(method))
	}
	h[wire.HeaderPath] = nb.value(r.path)
	h[wire.HeaderResourcePath] = r.t.resourcePathValue
	h[wire.HeaderRouteKey] = r.t.routeKeyValue
	if len(r.params) > 0 {
		h[wire.HeaderPathParams] = nb.value(nb.bufString(pp0, q0))
	}
	if q0 < ip0 {
		h[wire.HeaderQuery] = nb.value(nb.bufString(q0, ip0))
	}
	h[wire.HeaderAPIID] = r.st.apiIDValue
	h[wire.HeaderStage] = r.st.stageValue
	h[wire.HeaderRequestID] = nb.value(r.id)
	h[wire.HeaderSourceIP] = nb.value(nb.bufString(ip0, ip1))
	if r.decision.PrincipalID != "" {
		h[wire.HeaderPrincipalID] = nb.value(r.decision.PrincipalID)
	}
	if len(r.decision.Context) > 0 {
		b, _ := json.Marshal(r.decision.Context)
		h[wire.HeaderAuthorizer] = nb.value(string(b))
	}
	if ts := c.TLSConnectionState(); ts != nil && len(ts.PeerCertificates) > 0 {
		cert := ts.PeerCertificates[0]
		h[wire.HeaderClientCertSubject] = []string{cert.Subject.String()}
		h[wire.HeaderClientCertIssuer] = []string{cert.Issuer.String()}
		h[wire.HeaderClientCertSerial] = []string{cert.SerialNumber.String()}
	}
	nb.msg = nats.Msg{Subject: subject, Header: h, Data: body}
	return &nb.msg, nb
}

// appendRemoteIP appends the client's IP as net.IP.String writes it.
func appendRemoteIP(dst []byte, c *fasthttp.RequestCtx) []byte {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			return ip.Unmap().AppendTo(dst)
		}
	}
	return append(dst, c.RemoteIP().String()...)
}

// appendQueryEscape appends url.QueryEscape(s), without allocating when s needs no escaping.
func appendQueryEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return append(dst, url.QueryEscape(s)...)
		}
	}
	return append(dst, s...)
}

// clientSpanKind is the integration span's kind option, made once (it allocates).
var clientSpanKind = trace.WithSpanKind(trace.SpanKindClient)

// natsRequest sends the native message for r to subject with body and waits for the reply
// within the route's integration timeout, in a client span.
func (s *Service) natsRequest(ctx context.Context, r *request, subject string, body []byte) (*nats.Msg, error) {
	msg, nb := s.nativeMsg(r, subject, body)
	ictx, span := s.startSpan(ctx, r.t.natsSpanName, clientSpanKind)
	telemetry.Inject(ictx, msg)
	reply, err := s.replies.request(msg, s.timeout(r.t.integration))
	nb.release()
	span.End()
	return reply, err
}

// natsProxy sends the native message of pkg/wire and writes the reply back.
func (s *Service) natsProxy(ctx context.Context, r *request) {
	c := r.ctx
	subject := r.t.integration.URI
	reply, err := s.natsRequest(ctx, r, subject, c.Request.Body())
	if err != nil {
		s.busFailed(r, err, "nats "+subject, func() {
			s.gatewayError(r, gw.IntegrationFailure, "")
			c.Response.SetStatusCode(fasthttp.StatusBadGateway)
		})
		return
	}
	writeNativeReply(c, reply)
}

// busFailed answers an integration request over the bus that failed: no responders is 503 at
// once, a timeout the integration timeout's answer, anything else fail's (after a log line
// naming the target).
func (s *Service) busFailed(r *request, err error, target string, fail func()) {
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		s.gatewayError(r, gw.Default5XX, "Service Unavailable")
		r.ctx.Response.SetStatusCode(fasthttp.StatusServiceUnavailable)
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		s.timedOut(r)
	default:
		s.log.Error("integration request failed", "request_id", r.id, "target", target, "err", err)
		fail()
	}
}

// writeNativeReply maps a native reply (or a micro error reply) to the HTTP response.
func writeNativeReply(c *fasthttp.RequestCtx, reply *nats.Msg) {
	status := fasthttp.StatusOK
	if code := reply.Header.Get(wire.HeaderServiceErrorCode); code != "" {
		n, err := strconv.Atoi(code)
		if err != nil || n < 400 || n > 599 {
			n = fasthttp.StatusInternalServerError
		}
		msg := reply.Header.Get(wire.HeaderServiceError)
		if msg == "" {
			msg = fasthttp.StatusMessage(n)
		}
		writeGateway(c, gw.Response{Status: n, Body: gw.DefaultBody(msg)})
		return
	}
	if v := reply.Header.Get(wire.HeaderStatus); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 599 {
			writeGateway(c, gw.Render(gw.IntegrationFailure, "Internal server error", nil))
			c.Response.SetStatusCode(fasthttp.StatusBadGateway)
			return
		}
		status = n
	}
	for k, vs := range reply.Header {
		if wire.IsReserved(k) || strings.HasPrefix(k, "Nats-") || k == wire.HeaderTraceparent || k == wire.HeaderTracestate {
			continue
		}
		for i, v := range vs {
			if i == 0 {
				c.Response.Header.Set(k, v)
			} else {
				c.Response.Header.Add(k, v)
			}
		}
	}
	if len(c.Response.Header.ContentType()) == 0 {
		c.Response.Header.SetContentType("application/json")
	}
	c.Response.SetStatusCode(status)
	c.Response.SetBody(reply.Data)
}
