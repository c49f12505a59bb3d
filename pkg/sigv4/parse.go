package sigv4

import (
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Algorithm is the only signing algorithm supported.
const Algorithm = "AWS4-HMAC-SHA256"

// Bounds on what a request may carry; beyond them Verify refuses the request
// with an IncompleteSignatureException.
const (
	MaxAuthorizationLen    = 8 << 10
	MaxSignedHeaders       = 64
	MaxQueryParams         = 512
	MaxQueryLen            = 32 << 10
	MaxPathLen             = 16 << 10
	MaxCanonicalHeadersLen = 64 << 10
	MaxSecurityTokenLen    = 8 << 10
	MaxPresignExpires      = 604800 // seconds: 7 days
)

// Query parameter names of the presigned form.
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qSecurityToken = "X-Amz-Security-Token"
	qContentSHA256 = "X-Amz-Content-Sha256"
)

const unsignedPayload = "UNSIGNED-PAYLOAD"

// credential is the parsed Credential: keyid/date/region/service/terminator.
type credential struct {
	accessKeyID, date, region, service, terminator string
}

func (c credential) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + c.terminator
}

// authorization is a parsed Authorization header (or the presigned query).
type authorization struct {
	algorithm     string
	credential    credential
	signedHeaders string   // exactly as sent: it goes into the canonical request
	headerNames   []string // signedHeaders split, lower-case
	signature     string
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=...". hasDate tells whether the request carries X-Amz-Date or Date,
// so the message for a malformed header lists every missing part as AWS does.
func parseAuthorization(h string, hasDate bool) (*authorization, error) {
	if len(h) > MaxAuthorizationLen {
		return nil, errIncomplete("Authorization header exceeds " + strconv.Itoa(MaxAuthorizationLen) + " bytes.")
	}
	h = strings.TrimSpace(h)
	alg, rest, _ := strings.Cut(h, " ")
	a := &authorization{algorithm: alg}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for _, field := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			continue
		}
		switch k {
		case "Credential":
			if haveCred {
				return nil, errIncomplete("Authorization header has a duplicate 'Credential' parameter. Authorization=" + h)
			}
			cred, haveCred = v, true
		case "SignedHeaders":
			if haveSigned {
				return nil, errIncomplete("Authorization header has a duplicate 'SignedHeaders' parameter. Authorization=" + h)
			}
			signed, haveSigned = v, true
		case "Signature":
			if haveSig {
				return nil, errIncomplete("Authorization header has a duplicate 'Signature' parameter. Authorization=" + h)
			}
			sig, haveSig = v, true
		}
	}
	if !haveCred || !haveSigned || !haveSig || !hasDate {
		var b strings.Builder
		if !haveCred {
			b.WriteString("Authorization header requires 'Credential' parameter. ")
		}
		if !haveSig {
			b.WriteString("Authorization header requires 'Signature' parameter. ")
		}
		if !haveSigned {
			b.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
		}
		if !hasDate {
			b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
		}
		b.WriteString("Authorization=")
		b.WriteString(h)
		return nil, errIncomplete(b.String())
	}
	if alg != Algorithm {
		return nil, errIncomplete("Unsupported AWS 'algorithm': '" + alg + "'.")
	}
	c, err := parseCredential(cred)
	if err != nil {
		return nil, err
	}
	a.credential = c
	if err := a.setSignedHeaders(signed); err != nil {
		return nil, err
	}
	a.signature = sig
	return a, nil
}

func parseCredential(s string) (credential, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 {
		return credential{}, errIncomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + s + "'")
	}
	for _, p := range parts {
		if p == "" {
			return credential{}, errIncomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + s + "'")
		}
	}
	return credential{accessKeyID: parts[0], date: parts[1], region: parts[2], service: parts[3], terminator: parts[4]}, nil
}

func (a *authorization) setSignedHeaders(s string) error {
	if s == "" {
		return errIncomplete("SignedHeaders must not be empty.")
	}
	n := strings.Count(s, ";") + 1
	if n > MaxSignedHeaders {
		return errIncomplete("SignedHeaders lists more than " + strconv.Itoa(MaxSignedHeaders) + " headers.")
	}
	names := make([]string, 0, n)
	hasHost := false
	for name := range strings.SplitSeq(s, ";") {
		if name == "" || !validHeaderName(name) {
			return errIncomplete("SignedHeaders contains an invalid header name: '" + name + "'.")
		}
		name = strings.ToLower(name)
		if name == "host" || name == ":authority" {
			hasHost = true
		}
		names = append(names, name)
	}
	if !hasHost {
		return errIncomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	a.signedHeaders = s
	a.headerNames = names
	return nil
}

// validHeaderName reports whether s is an RFC 9110 token (or ":authority").
func validHeaderName(s string) bool {
	return s == ":authority" || httpguts.ValidHeaderFieldName(s)
}

// queryPair is one key=value of a raw query, undecoded.
type queryPair struct {
	key, value string
	hasEq      bool
}

// splitQuery splits a raw query on '&', skipping empty segments.
func splitQuery(raw string) ([]queryPair, error) {
	if raw == "" {
		return nil, nil
	}
	if len(raw) > MaxQueryLen {
		return nil, errIncomplete("The query string exceeds " + strconv.Itoa(MaxQueryLen) + " bytes.")
	}
	if strings.Count(raw, "&")+1 > MaxQueryParams {
		return nil, errIncomplete("The query string has more than " + strconv.Itoa(MaxQueryParams) + " parameters.")
	}
	pairs := make([]queryPair, 0, strings.Count(raw, "&")+1)
	for seg := range strings.SplitSeq(raw, "&") {
		if seg == "" {
			continue
		}
		k, v, eq := strings.Cut(seg, "=")
		pairs = append(pairs, queryPair{key: k, value: v, hasEq: eq})
	}
	return pairs, nil
}

// presignedParams are the decoded X-Amz-* parameters of a presigned query.
type presignedParams struct {
	present                                                      bool
	algorithm, credential, date, expires, signedHeaders, sig     string
	securityToken, contentSHA256                                 string
	haveAlgorithm, haveCredential, haveDate, haveSigned, haveSig bool
	haveExpires                                                  bool
}

// presigned extracts the presigned-URL parameters from the query pairs.
func presigned(pairs []queryPair) (presignedParams, error) {
	var p presignedParams
	for _, qp := range pairs {
		if !strings.HasPrefix(qp.key, "X-Amz-") && !strings.HasPrefix(qp.key, "X-Amz%2D") {
			continue
		}
		k, err := url.QueryUnescape(qp.key)
		if err != nil {
			continue
		}
		var dst *string
		var have *bool
		switch k {
		case qAlgorithm:
			dst, have = &p.algorithm, &p.haveAlgorithm
		case qCredential:
			dst, have = &p.credential, &p.haveCredential
		case qDate:
			dst, have = &p.date, &p.haveDate
		case qExpires:
			dst, have = &p.expires, &p.haveExpires
		case qSignedHeaders:
			dst, have = &p.signedHeaders, &p.haveSigned
		case qSignature:
			dst, have = &p.sig, &p.haveSig
		case qSecurityToken:
			dst = &p.securityToken
		case qContentSHA256:
			dst = &p.contentSHA256
		default:
			continue
		}
		v, err := url.QueryUnescape(qp.value)
		if err != nil {
			return p, errIncomplete("AWS query-string parameter '" + k + "' is not correctly URL-encoded.")
		}
		if have != nil {
			if *have {
				return p, errIncomplete("AWS query-string parameter '" + k + "' appears more than once. Re-examine the query-string parameters.")
			}
			*have = true
		}
		*dst = v
	}
	p.present = p.haveAlgorithm || p.haveCredential || p.haveSig
	return p, nil
}

// authorization turns presigned parameters into the same shape as a parsed
// Authorization header.
func (p presignedParams) authorization() (*authorization, error) {
	if !p.haveAlgorithm || !p.haveCredential || !p.haveSig || !p.haveSigned || !p.haveDate {
		var b strings.Builder
		for _, m := range []struct {
			name string
			have bool
		}{{qAlgorithm, p.haveAlgorithm}, {qCredential, p.haveCredential}, {qSignature, p.haveSig}, {qSignedHeaders, p.haveSigned}, {qDate, p.haveDate}} {
			if !m.have {
				b.WriteString("AWS query-string parameters must include '" + m.name + "'. ")
			}
		}
		b.WriteString("Re-examine the query-string parameters.")
		return nil, errIncomplete(b.String())
	}
	if p.algorithm != Algorithm {
		return nil, errIncomplete("X-Amz-Algorithm only supports \"" + Algorithm + "\"")
	}
	c, err := parseCredential(p.credential)
	if err != nil {
		return nil, err
	}
	a := &authorization{algorithm: p.algorithm, credential: c, signature: p.sig}
	if err := a.setSignedHeaders(p.signedHeaders); err != nil {
		return nil, err
	}
	return a, nil
}

// expiresSeconds parses X-Amz-Expires.
func (p presignedParams) expiresSeconds() (int64, error) {
	n, err := strconv.ParseInt(p.expires, 10, 64)
	if err != nil {
		return 0, errIncomplete("X-Amz-Expires should be a number")
	}
	if n < 0 {
		return 0, errIncomplete("X-Amz-Expires must be non-negative")
	}
	if n > MaxPresignExpires {
		return 0, errIncomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	return n, nil
}
