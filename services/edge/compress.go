package edge

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// compress applies a REST API's minimumCompressionSize to an integration's (or the cache's)
// answer, as AWS does: a body of at least that many bytes is sent gzip- or deflate-encoded when
// the client's Accept-Encoding allows it (gzip first), and as it is otherwise. An answer that
// already has a Content-Encoding is left alone.
func (s *Service) compress(r *request) {
	n := r.st.api.MinimumCompressionSize
	if n == nil {
		return
	}
	resp := &r.ctx.Response
	body := resp.Body()
	if len(body) < *n || len(body) == 0 || len(resp.Header.ContentEncoding()) > 0 || resp.IsBodyStream() {
		return
	}
	var out []byte
	var coding string
	switch ae := r.ctx.Request.Header.Peek(fasthttp.HeaderAcceptEncoding); {
	case acceptsCoding(ae, "gzip"):
		out, coding = fasthttp.AppendGzipBytes(nil, body), "gzip"
	case acceptsCoding(ae, "deflate"):
		out, coding = fasthttp.AppendDeflateBytes(nil, body), "deflate"
	default:
		return
	}
	resp.SetBodyRaw(out)
	resp.Header.SetContentEncoding(coding)
}

// acceptsCoding reports whether an Accept-Encoding value lists coding (or *) without q=0.
func acceptsCoding(ae []byte, coding string) bool {
	for len(ae) > 0 {
		var item []byte
		item, ae, _ = bytes.Cut(ae, []byte{','})
		name, params, _ := bytes.Cut(item, []byte{';'})
		name = bytes.TrimSpace(name)
		if !bytes.EqualFold(name, []byte(coding)) && !bytes.Equal(name, []byte("*")) {
			continue
		}
		q := bytes.ReplaceAll(bytes.TrimSpace(params), []byte(" "), nil)
		if bytes.EqualFold(q, []byte("q=0")) || bytes.EqualFold(q, []byte("q=0.0")) || bytes.EqualFold(q, []byte("q=0.00")) || bytes.EqualFold(q, []byte("q=0.000")) {
			return false
		}
		return true
	}
	return false
}
