package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxSkew is the clock window when Verifier.MaxSkew is zero.
const DefaultMaxSkew = 5 * time.Minute

// TimeFormat is SigV4's ISO 8601 basic format (X-Amz-Date).
const TimeFormat = "20060102T150405Z"

const (
	dateFormat = "20060102"
	terminator = "aws4_request"
)

// Credentials are what Lookup returns for an access key id.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must be carried by the request
	// (X-Amz-Security-Token header or query parameter).
	SessionToken string
	// Expires, when set, is when temporary credentials stop working.
	Expires time.Time
}

// Lookup returns the credentials of an access key id, false when unknown.
// It is called with an id taken from the request, before the signature is
// checked: it must not fail open.
type Lookup func(accessKeyID string) (Credentials, bool)

// Identity is who signed a request that verified.
type Identity struct {
	AccessKeyID   string
	Region        string
	Service       string
	SessionToken  string
	SignedHeaders []string // lower-case, in the client's order
	SigningTime   time.Time
	Presigned     bool
}

// Verifier checks SigV4 signatures. The zero value is usable except that
// Lookup must be set (without it every access key is unknown). A Verifier
// must not be copied after first use: it holds a cache of signing keys.
type Verifier struct {
	Lookup  Lookup
	Service string        // required credential-scope service; "" accepts any
	Region  string        // required credential-scope region; "" accepts any
	MaxSkew time.Duration // clock window either side of now; 0 means DefaultMaxSkew
	Now     func() time.Time
	// AllowNormalizedPath also accepts a signature over the path with dot
	// segments and duplicate slashes removed (botocore signs that form). Set
	// it only when routing resolves "/x/../y" and "//" the same way, or a
	// signature for "/y" covers "/x/../y".
	AllowNormalizedPath bool

	keys keyCache
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

func (v *Verifier) skew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

// Verify checks r's signature, in the Authorization header or a presigned
// query. It returns the signer's identity, or an *Error.
func (v *Verifier) Verify(r *Request) (*Identity, error) {
	if r == nil {
		return nil, errMissing()
	}
	if len(r.RawPath) > MaxPathLen {
		return nil, errIncomplete("The request path exceeds " + strconv.Itoa(MaxPathLen) + " bytes.")
	}
	pairs, err := splitQuery(r.RawQuery)
	if err != nil {
		return nil, err
	}
	p, err := presigned(pairs)
	if err != nil {
		return nil, err
	}
	authz := r.values("authorization")
	if len(authz) > 1 {
		return nil, errIncomplete("Only one 'Authorization' header is allowed.")
	}
	hdr := ""
	if len(authz) == 1 {
		hdr = authz[0]
	}
	switch {
	case strings.TrimSpace(hdr) != "" && p.present:
		return nil, errIncomplete("Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	case strings.TrimSpace(hdr) != "":
		return v.verifyHeader(r, hdr, pairs)
	case p.present:
		return v.verifyPresigned(r, p, pairs)
	default:
		return nil, errMissing()
	}
}

func (v *Verifier) verifyHeader(r *Request, hdr string, pairs []queryPair) (*Identity, error) {
	amz := r.first("x-amz-date")
	date := ""
	if amz == "" {
		date = r.first("date")
	}
	a, err := parseAuthorization(hdr, amz != "" || date != "")
	if err != nil {
		return nil, err
	}
	var t time.Time
	if amz != "" {
		t, err = parseAmzDate(amz)
	} else {
		t, err = http.ParseTime(date)
		if err != nil {
			err = errIncomplete("Date must be in ISO-8601 'basic format'. Got '" + date + "'. See http://en.wikipedia.org/wiki/ISO_8601")
		}
	}
	if err != nil {
		return nil, err
	}
	t = t.UTC()
	if err := v.checkScope(a.credential, t); err != nil {
		return nil, err
	}
	if err := v.checkSkew(t); err != nil {
		return nil, err
	}
	return v.check(r, a, t, pairs, r.first("x-amz-security-token"), r.first("x-amz-content-sha256"), false)
}

func (v *Verifier) verifyPresigned(r *Request, p presignedParams, pairs []queryPair) (*Identity, error) {
	a, err := p.authorization()
	if err != nil {
		return nil, err
	}
	t, err := parseAmzDate(p.date)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(a.credential, t); err != nil {
		return nil, err
	}
	if p.haveExpires {
		n, err := p.expiresSeconds()
		if err != nil {
			return nil, err
		}
		now := v.now()
		if now.After(t.Add(time.Duration(n) * time.Second)) {
			return nil, errPresignExpired()
		}
		if t.After(now.Add(v.skew())) {
			return nil, v.notYetCurrent(t, now)
		}
	} else if err := v.checkSkew(t); err != nil {
		return nil, err
	}
	token := p.securityToken
	if token == "" {
		token = r.first("x-amz-security-token")
	}
	hash := p.contentSHA256
	if hash == "" {
		hash = r.first("x-amz-content-sha256")
	}
	return v.check(r, a, t, pairs, token, hash, true)
}

func parseAmzDate(s string) (time.Time, error) {
	t, err := time.Parse(TimeFormat, s)
	if err != nil || len(s) != len(TimeFormat) {
		return time.Time{}, errIncomplete("Date must be in ISO-8601 'basic format'. Got '" + s + "'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	return t, nil
}

func (v *Verifier) checkScope(c credential, t time.Time) error {
	if c.terminator != terminator {
		return errSignature("Credential should be scoped with a valid terminator: 'aws4_request', not '" + c.terminator + "'. ")
	}
	if d := t.Format(dateFormat); c.date != d {
		return errSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + c.date + "' != '" + d + "', from '" + t.Format(TimeFormat) + "'.")
	}
	if v.Region != "" && c.region != v.Region {
		return errSignature("Credential should be scoped to a valid region, not '" + c.region + "'. ")
	}
	if v.Service != "" && c.service != v.Service {
		return errSignature("Credential should be scoped to correct service: '" + v.Service + "'. ")
	}
	return nil
}

func (v *Verifier) checkSkew(t time.Time) error {
	now := v.now()
	skew := v.skew()
	if t.Before(now.Add(-skew)) {
		return errSignature("Signature expired: " + t.Format(TimeFormat) + " is now earlier than " +
			now.Add(-skew).Format(TimeFormat) + " (" + now.Format(TimeFormat) + " - " + minutes(skew) + " min.)")
	}
	if t.After(now.Add(skew)) {
		return v.notYetCurrent(t, now)
	}
	return nil
}

func (v *Verifier) notYetCurrent(t, now time.Time) error {
	skew := v.skew()
	return errSignature("Signature not yet current: " + t.Format(TimeFormat) + " is still later than " +
		now.Add(skew).Format(TimeFormat) + " (" + now.Format(TimeFormat) + " + " + minutes(skew) + " min.)")
}

func minutes(d time.Duration) string {
	return strconv.FormatFloat(d.Minutes(), 'f', -1, 64)
}

// check looks the key up, checks the session token, then the signature over
// every candidate canonical request, then the body against a declared hash.
func (v *Verifier) check(r *Request, a *authorization, t time.Time, pairs []queryPair, token, hashHeader string, presign bool) (*Identity, error) {
	if len(token) > MaxSecurityTokenLen {
		return nil, errIncomplete("The security token exceeds " + strconv.Itoa(MaxSecurityTokenLen) + " bytes.")
	}
	if v.Lookup == nil {
		return nil, errUnrecognized()
	}
	creds, ok := v.Lookup(a.credential.accessKeyID)
	if !ok || creds.SecretAccessKey == "" {
		return nil, errUnrecognized()
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(creds.SessionToken)) != 1 {
		return nil, errUnrecognized()
	}
	if !creds.Expires.IsZero() && v.now().After(creds.Expires) {
		return nil, errExpiredToken()
	}

	// Payload hash candidates; checkBody when a declared hash must match the body.
	var payloads []string
	checkBody := false
	switch {
	case hashHeader == unsignedPayload:
		payloads = []string{unsignedPayload}
	case hashHeader != "":
		if len(hashHeader) != sha256.Size*2 || !isHex(hashHeader) {
			return nil, errIncomplete("x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a hex SHA-256 digest.")
		}
		payloads = []string{hashHeader}
		checkBody = true
	case presign:
		payloads = []string{unsignedPayload, hashHex(r.Body)}
	default:
		payloads = []string{hashHex(r.Body)}
	}

	host := r.Host
	if host == "" {
		host = r.first("host")
	}
	hdrs, hasTab, err := canonicalHeaders(r, host, a.headerNames, false)
	if err != nil {
		return nil, err
	}
	headerSets := []string{hdrs}
	if hasTab {
		if h, _, err := canonicalHeaders(r, host, a.headerNames, true); err == nil && h != hdrs {
			headerSets = append(headerSets, h)
		}
	}
	uris := canonicalURIs(r.RawPath, v.AllowNormalizedPath)
	queries := canonicalQueries(pairs, presign)

	key := v.keys.get(creds.SecretAccessKey, a.credential)
	stsPrefix := Algorithm + "\n" + t.Format(TimeFormat) + "\n" + a.credential.scope() + "\n"
	want := []byte(a.signature)
	var buf []byte
	matched := false
	for _, h := range headerSets {
		for _, u := range uris {
			for _, q := range queries {
				for _, pl := range payloads {
					buf = append(buf[:0], r.Method...)
					buf = append(buf, '\n')
					buf = append(buf, u...)
					buf = append(buf, '\n')
					buf = append(buf, q...)
					buf = append(buf, '\n')
					buf = append(buf, h...)
					buf = append(buf, '\n')
					buf = append(buf, a.signedHeaders...)
					buf = append(buf, '\n')
					buf = append(buf, pl...)
					if hmac.Equal(signature(key, stsPrefix, buf), want) {
						matched = true
						break
					}
				}
				if matched {
					break
				}
			}
			if matched {
				break
			}
		}
		if matched {
			break
		}
	}
	if !matched {
		return nil, errSignature(MsgInvalidSignature)
	}
	if checkBody && !strings.EqualFold(hashHex(r.Body), hashHeader) {
		return nil, errContentSHA256Mismatch()
	}
	return &Identity{
		AccessKeyID:   a.credential.accessKeyID,
		Region:        a.credential.region,
		Service:       a.credential.service,
		SessionToken:  token,
		SignedHeaders: a.headerNames,
		SigningTime:   t,
		Presigned:     presign,
	}, nil
}

// signature is hex(HMAC(key, stsPrefix + hex(SHA256(canonical)))).
func signature(key []byte, stsPrefix string, canonical []byte) []byte {
	sum := sha256.Sum256(canonical)
	var sts [256]byte
	s := append(sts[:0], stsPrefix...)
	s = hex.AppendEncode(s, sum[:])
	m := hmac.New(sha256.New, key)
	m.Write(s)
	var out [sha256.Size]byte
	return hex.AppendEncode(nil, m.Sum(out[:0]))
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !ishex(s[i]) {
			return false
		}
	}
	return true
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// DeriveSigningKey returns the SigV4 signing key for a secret and a
// credential scope (date YYYYMMDD, region, service).
func DeriveSigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

// maxCachedKeys bounds the signing-key cache; when full it is emptied (keys
// change daily, so entries age out anyway).
const maxCachedKeys = 1024

type keyCacheKey struct{ secret, date, region, service string }

type keyCache struct {
	mu sync.Mutex
	m  map[keyCacheKey][]byte
}

func (c *keyCache) get(secret string, cr credential) []byte {
	k := keyCacheKey{secret, cr.date, cr.region, cr.service}
	c.mu.Lock()
	key, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return key
	}
	key = DeriveSigningKey(secret, cr.date, cr.region, cr.service)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = make(map[keyCacheKey][]byte)
	}
	c.m[k] = key
	c.mu.Unlock()
	return key
}
