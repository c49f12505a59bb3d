// Package jwtauth verifies bearer tokens for JWT authorizers (AWS HTTP API semantics): the
// signature with a key of the issuer's key set, an algorithm pinned by the authorizer (never
// "none", never HMAC), iss, aud or client_id, exp (required), nbf and iat, and the route's
// scopes.
package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/authz/internal/jwks"
)

// Errors of Verify. The service maps ErrInvalidToken to 401, ErrInsufficientScope to 403 and
// ErrConfig to 500. ErrKeysUnavailable (the key set could not be fetched) also matches
// ErrInvalidToken, and its denial is not cached.
var (
	ErrInvalidToken      = errors.New("jwtauth: invalid token")
	ErrKeysUnavailable   = fmt.Errorf("%w: signing keys unavailable", ErrInvalidToken)
	ErrInsufficientScope = errors.New("jwtauth: token lacks the route's scopes")
	ErrConfig            = errors.New("jwtauth: bad authorizer configuration")
)

// supported are the algorithms an authorizer may pin: asymmetric only, so that a key set's
// public key can never serve as an HMAC secret.
var supported = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Limits of a token and of the context it yields.
const (
	MaxClaims     = 64
	maxClaimValue = 1024
)

// Config bounds the verifier.
type Config struct {
	Leeway        time.Duration // clock skew allowed on exp, nbf and iat
	MaxTokenBytes int
}

// Result is a verified token.
type Result struct {
	Subject string
	Expires time.Time
	// Claims are the token's claims as strings (non-strings JSON-encoded), at most MaxClaims,
	// as AWS passes $context.authorizer.claims.
	Claims map[string]string
}

// Verifier checks tokens.
type Verifier struct {
	cfg     Config
	fetcher *jwks.Fetcher
	now     func() time.Time
}

// New returns a verifier that takes keys from fetcher.
func New(cfg Config, fetcher *jwks.Fetcher, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{cfg: cfg, fetcher: fetcher, now: now}
}

// Verify checks token (with or without a "Bearer " prefix) for authorizer a and the route's
// scopes.
func (v *Verifier) Verify(ctx context.Context, a *wire.JWTAuthorizer, token string, scopes []string) (Result, error) {
	algs, err := algorithms(a)
	if err != nil {
		return Result{}, err
	}
	token = strings.TrimSpace(token)
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if token == "" {
		return Result{}, fmt.Errorf("%w: missing", ErrInvalidToken)
	}
	if len(token) > v.cfg.MaxTokenBytes {
		return Result{}, fmt.Errorf("%w: %d bytes", ErrInvalidToken, len(token))
	}

	jwksURI := a.JWKSURI
	keyfunc := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if jwksURI == "" {
			uri, err := v.fetcher.JWKSURI(ctx, a.Issuer)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
			}
			jwksURI = uri
		}
		k, err := v.fetcher.Key(ctx, jwksURI, kid)
		if err != nil && !errors.Is(err, jwks.ErrUnknownKey) {
			return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
		}
		return k, err
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods(algs),
		jwt.WithIssuer(a.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.cfg.Leeway),
		jwt.WithTimeFunc(v.now),
		jwt.WithJSONNumber(),
	)
	claims := jwt.MapClaims{}
	if _, err := parser.ParseWithClaims(token, claims, keyfunc); err != nil {
		if errors.Is(err, ErrKeysUnavailable) {
			return Result{}, err
		}
		return Result{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if len(a.Audience) > 0 && !audienceOK(claims, a.Audience) {
		return Result{}, fmt.Errorf("%w: audience", ErrInvalidToken)
	}
	if len(scopes) > 0 && !scopeOK(claims, scopes) {
		return Result{}, ErrInsufficientScope
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return Result{}, fmt.Errorf("%w: exp", ErrInvalidToken)
	}
	sub, _ := claims.GetSubject()
	return Result{Subject: sub, Expires: exp.Time, Claims: flatten(claims)}, nil
}

func algorithms(a *wire.JWTAuthorizer) ([]string, error) {
	if a.Issuer == "" {
		return nil, fmt.Errorf("%w: no issuer", ErrConfig)
	}
	if len(a.Algorithms) == 0 {
		return []string{"RS256"}, nil
	}
	for _, alg := range a.Algorithms {
		if !slices.Contains(supported, alg) {
			return nil, fmt.Errorf("%w: algorithm %q", ErrConfig, alg)
		}
	}
	return a.Algorithms, nil
}

// audienceOK: the token's aud, or else its client_id (as Cognito access tokens carry), is one
// of want.
func audienceOK(claims jwt.MapClaims, want []string) bool {
	if aud, err := claims.GetAudience(); err == nil && len(aud) > 0 {
		for _, a := range aud {
			if slices.Contains(want, a) {
				return true
			}
		}
		return false
	}
	cid, ok := claims["client_id"].(string)
	return ok && slices.Contains(want, cid)
}

// scopeOK: the token's scope (space-separated string) or scp (string or array) holds one of
// want.
func scopeOK(claims jwt.MapClaims, want []string) bool {
	var have []string
	for _, name := range []string{"scope", "scp"} {
		switch v := claims[name].(type) {
		case string:
			have = append(have, strings.Fields(v)...)
		case []any:
			for _, s := range v {
				if s, ok := s.(string); ok {
					have = append(have, s)
				}
			}
		}
	}
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

func flatten(claims jwt.MapClaims) map[string]string {
	out := make(map[string]string, min(len(claims), MaxClaims))
	keys := make([]string, 0, len(claims))
	for k := range claims {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if len(out) == MaxClaims {
			break
		}
		var s string
		switch v := claims[k].(type) {
		case string:
			s = v
		case json.Number:
			s = v.String()
		default:
			b, err := json.Marshal(v)
			if err != nil {
				continue
			}
			s = string(b)
		}
		if len(s) > maxClaimValue || len(k) > maxClaimValue {
			continue
		}
		out[k] = s
	}
	return out
}
