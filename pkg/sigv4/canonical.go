package sigv4

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const upperhex = "0123456789ABCDEF"

// unreserved reports whether c is an RFC 3986 unreserved character.
func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// escape percent-encodes every byte that is not unreserved (and not '/', when
// keepSlash), with upper-case hex, as SigV4 requires.
func escape(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && !(keepSlash && s[i] == '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || keepSlash && c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperhex[c>>4], upperhex[c&15])
	}
	return string(b)
}

// canonicalURIs returns the canonical URI candidates for a raw (escaped) path:
// the form AWS and aws-sdk-go-v2 (and curl 8) use for non-S3 services, the
// escaped path encoded again; then, with normalize and when it differs,
// botocore's (dot segments and duplicate slashes removed first).
//
// The path as sent (encoded once, as for S3) is deliberately not a candidate:
// "/a%2520b" sent as is would then match a signature for "/a%20b", a different
// resource. The normalised form is opt-in for the same reason: "/x/../admin"
// matches a signature for "/admin", safe only when routing normalises alike.
func canonicalURIs(raw string, normalize bool) []string {
	if raw == "" {
		raw = "/"
	}
	uris := []string{escape(raw, true)}
	if normalize {
		if n := escape(removeDotSegments(raw), true); n != uris[0] {
			uris = append(uris, n)
		}
	}
	return uris
}

// removeDotSegments is botocore's normalisation: RFC 3986 §5.2.4 dot-segment
// removal, plus collapsing empty segments (consecutive slashes).
func removeDotSegments(p string) string {
	if p == "" {
		return "/"
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	var b strings.Builder
	if p[0] == '/' {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(out, "/"))
	if p[len(p)-1] == '/' && len(out) > 0 {
		b.WriteByte('/')
	}
	return b.String()
}

type encodedPair struct{ key, value string }

func joinPairs(ps []encodedPair) string {
	slices.SortFunc(ps, func(a, b encodedPair) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// canonicalQueries returns the canonical query candidates: first the AWS /
// aws-sdk-go-v2 / curl 8 form (pairs decoded as a form, '+' being a space,
// then RFC 3986-encoded and sorted by key then value); then, when it differs,
// the pairs as sent, sorted (botocore signing a prepared URL). Both candidates
// identify the same decoded parameters, so neither lets a signature cover
// another request. X-Amz-Signature is left out of a presigned query.
//
// curl 8 writes a decoded '+' (sent as %2B) as %20; that form is not a
// candidate, since it would let a space and a plus sign swap.
func canonicalQueries(pairs []queryPair, presigned bool) []string {
	if len(pairs) == 0 {
		return []string{""}
	}
	sdk := make([]encodedPair, 0, len(pairs))
	raw := make([]encodedPair, 0, len(pairs))
	for _, p := range pairs {
		if presigned && isSignatureKey(p.key) {
			continue
		}
		raw = append(raw, encodedPair{p.key, p.value})
		// url.ParseQuery (which the SDK uses) drops a pair with a ';' or a
		// bad escape.
		if strings.IndexByte(p.key, ';') >= 0 || strings.IndexByte(p.value, ';') >= 0 {
			continue
		}
		k, err1 := url.QueryUnescape(p.key)
		v, err2 := url.QueryUnescape(p.value)
		if err1 != nil || err2 != nil {
			continue
		}
		sdk = append(sdk, encodedPair{escape(k, false), escape(v, false)})
	}
	out := []string{joinPairs(sdk)}
	if r := joinPairs(raw); r != out[0] {
		out = append(out, r)
	}
	return out
}

func isSignatureKey(rawKey string) bool {
	if rawKey == qSignature {
		return true
	}
	k, err := url.QueryUnescape(rawKey)
	return err == nil && k == qSignature
}

func ishex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// canonicalValue trims a header value and folds runs of spaces into one
// (aws-sdk-go-v2). With tabs, every run of spaces and tabs folds into one
// space (botocore, curl).
func canonicalValue(v string, tabs bool) string {
	v = strings.Trim(v, " \t")
	if !strings.Contains(v, "  ") && !(tabs && strings.IndexByte(v, '\t') >= 0) {
		return v
	}
	b := make([]byte, 0, len(v))
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || tabs && c == '\t' {
			if !space {
				b = append(b, ' ')
			}
			space = true
			continue
		}
		space = false
		b = append(b, c)
	}
	return string(b)
}

// canonicalHeaders writes "name:value\n" for every signed header, in the
// client's order, multiple values joined with ','. tabs selects how values
// fold (see canonicalValue). hasTab reports whether any value has a tab, so
// the caller knows whether the tabs variant differs.
func canonicalHeaders(r *Request, host string, names []string, tabs bool) (s string, hasTab bool, err error) {
	var b strings.Builder
	for _, name := range names {
		var vals []string
		if name == "host" || name == ":authority" {
			vals = []string{host}
		} else {
			vals = r.values(name)
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.IndexByte(v, '\t') >= 0 {
				hasTab = true
			}
			b.WriteString(canonicalValue(v, tabs))
			if b.Len() > MaxCanonicalHeadersLen {
				return "", false, errIncomplete("The signed headers exceed " + strconv.Itoa(MaxCanonicalHeadersLen) + " bytes.")
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), hasTab, nil
}
