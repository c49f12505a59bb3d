package sigv4

import (
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// Request is what the verifier needs of an HTTP request.
type Request struct {
	Method string
	// RawPath is the escaped path exactly as received, without the query
	// (e.g. "/restapis/abc/stages/a%20b"). Empty means "/".
	RawPath string
	// RawQuery is the query string as received, without the '?'.
	RawQuery string
	// Host is the Host header (":authority" in HTTP/2).
	Host string
	// Header holds the request headers; multi-value headers must keep every
	// value. Keys are looked up in canonical form, then lower-case.
	Header http.Header
	// HeaderValues, when set, is used instead of Header: it returns every value
	// of the header with the given lower-case name (for fasthttp, PeekAll).
	HeaderValues func(name string) []string
	// Body is the full request body (nil is an empty body). It is hashed unless
	// the client declared x-amz-content-sha256: UNSIGNED-PAYLOAD or the request
	// is presigned with an unsigned payload.
	Body []byte
}

// values returns every value of the header name (lower-case).
func (r *Request) values(name string) []string {
	if r.HeaderValues != nil {
		return r.HeaderValues(name)
	}
	if r.Header == nil {
		return nil
	}
	if v, ok := r.Header[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		return v
	}
	return r.Header[name]
}

// first returns the first value of the header name (lower-case), trimmed.
func (r *Request) first(name string) string {
	v := r.values(name)
	if len(v) == 0 {
		return ""
	}
	return strings.TrimSpace(v[0])
}

// FromHTTP describes r for the verifier. body is the request body the caller
// has already read (r.Body is not touched). On a server, the path is taken from
// r.RequestURI, so it is exactly what the client sent; on a client-side request
// (tests), from r.URL.EscapedPath().
func FromHTTP(r *http.Request, body []byte) *Request {
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	header := r.Header
	// net/http moves Content-Length out of the header on client requests;
	// signers that sign it (aws-sdk-go-v2) need it back.
	if r.ContentLength > 0 && header.Get("Content-Length") == "" {
		header = header.Clone()
		if header == nil {
			header = http.Header{}
		}
		header.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	req := &Request{
		Method:  r.Method,
		RawPath: rawPathOf(r),
		Host:    host,
		Header:  header,
		Body:    body,
	}
	if r.URL != nil {
		req.RawQuery = r.URL.RawQuery
	}
	return req
}

func rawPathOf(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" || uri == "*" {
		if r.URL == nil {
			return "/"
		}
		return r.URL.EscapedPath()
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if strings.HasPrefix(uri, "/") {
		return uri
	}
	// absolute-form: scheme://authority/path
	if i := strings.Index(uri, "://"); i >= 0 {
		rest := uri[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	if r.URL != nil {
		return r.URL.EscapedPath()
	}
	return "/"
}
