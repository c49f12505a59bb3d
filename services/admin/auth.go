package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// authenticator decides whether a control-plane request may go on; a nil error means yes.
type authenticator interface {
	authenticate(r *http.Request, body []byte) *apiError
}

func forbidden(typ, msg string) *apiError {
	return &apiError{Status: http.StatusForbidden, Type: typ, Message: msg}
}

// sdkVerifier checks a SigV4 signature by re-signing the signed headers with the SDK signer.
// It is the stand-in until pkg/sigv4 (which follows the client's SignedHeaders exactly) lands.
type sdkVerifier struct {
	accessKeyID, secret string
	maxSkew             time.Duration
	now                 func() time.Time
}

func (v *sdkVerifier) authenticate(r *http.Request, body []byte) *apiError {
	authz := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(authz, "AWS4-HMAC-SHA256 ")
	if !ok {
		return forbidden("MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	var cred, signed, sig string
	for part := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = val
		case "SignedHeaders":
			signed = val
		case "Signature":
			sig = val
		}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || signed == "" || sig == "" {
		return forbidden("IncompleteSignatureException", "Authorization header is malformed")
	}
	if subtle.ConstantTimeCompare([]byte(scope[0]), []byte(v.accessKeyID)) != 1 {
		return forbidden("UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	t, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return forbidden("IncompleteSignatureException", "X-Amz-Date is missing or malformed")
	}
	if d := v.now().Sub(t); d > v.maxSkew || d < -v.maxSkew {
		return forbidden("InvalidSignatureException", "Signature expired")
	}
	clone, err := http.NewRequestWithContext(context.Background(), r.Method, r.URL.String(), nil)
	if err != nil {
		return forbidden("InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
	}
	clone.Host = r.Host
	clone.URL.Host = r.Host
	for h := range strings.SplitSeq(signed, ";") {
		if h == "host" || h == "x-amz-date" {
			continue
		}
		clone.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		payload = h
	}
	creds := aws.Credentials{AccessKeyID: v.accessKeyID, SecretAccessKey: v.secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, clone, payload, scope[3], scope[2], t); err != nil {
		return forbidden("InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
	}
	_, want, _ := strings.Cut(clone.Header.Get("Authorization"), "Signature=")
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) != 1 {
		return forbidden("InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
	}
	return nil
}

func newAuthenticator(cfg Config) authenticator {
	return &sdkVerifier{accessKeyID: cfg.AccessKeyID, secret: cfg.SecretAccessKey, maxSkew: maxSigningSkew, now: time.Now}
}
