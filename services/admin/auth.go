package admin

import (
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/portico/portico/pkg/sigv4"
)

// authenticator decides whether a control-plane request may go on; a nil error means yes.
type authenticator interface {
	authenticate(r *http.Request, body []byte) *apiError
}

// sigv4Auth accepts requests SigV4-signed with the admin credentials (any region): service
// "apigateway", or "wafv2" for AWS WAF's JSON 1.1 calls.
type sigv4Auth struct {
	v, waf *sigv4.Verifier
}

var _ authenticator = (*sigv4Auth)(nil)

func newAuthenticator(cfg Config) authenticator {
	id, secret := cfg.AccessKeyID, cfg.SecretAccessKey
	lookup := func(got string) (sigv4.Credentials, bool) {
		if subtle.ConstantTimeCompare([]byte(got), []byte(id)) != 1 {
			return sigv4.Credentials{}, false
		}
		return sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}, true
	}
	return &sigv4Auth{
		v:   &sigv4.Verifier{Lookup: lookup, Service: "apigateway", MaxSkew: maxSigningSkew},
		waf: &sigv4.Verifier{Lookup: lookup, Service: "wafv2", MaxSkew: maxSigningSkew},
	}
}

func (a *sigv4Auth) authenticate(r *http.Request, body []byte) *apiError {
	v := a.v
	if isWAFRequest(r) {
		v = a.waf
	}
	_, err := v.Verify(sigv4.FromHTTP(r, body))
	if err == nil {
		return nil
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		status := se.Status
		if status == 0 {
			status = http.StatusForbidden
		}
		return &apiError{Status: status, Type: se.Type, Message: se.Message}
	}
	return &apiError{Status: http.StatusForbidden, Type: sigv4.TypeAccessDenied, Message: "Access denied"}
}
