package jwtauth_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/authz/internal/idptest"
	"github.com/portico/portico/services/authz/internal/jwks"
	"github.com/portico/portico/services/authz/internal/jwtauth"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func clock() time.Time { return now }

func newVerifier(minRefresh time.Duration) *jwtauth.Verifier {
	f := jwks.NewFetcher(jwks.FetcherConfig{
		Timeout: 5 * time.Second, Refresh: 10 * time.Minute, MinRefresh: minRefresh,
		MaxBytes: 1 << 20, MaxURLs: 10, AllowHTTP: true,
	}, nil, clock)
	return jwtauth.New(jwtauth.Config{Leeway: 30 * time.Second, MaxTokenBytes: 8 << 10}, f, clock)
}

func claims(idp *idptest.IdP, mutate func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss":   idp.Issuer(),
		"sub":   "user-1",
		"aud":   "portico",
		"exp":   now.Add(time.Hour).Unix(),
		"iat":   now.Add(-time.Minute).Unix(),
		"scope": "pets:read pets:write",
	}
	if mutate != nil {
		mutate(c)
	}
	return c
}

func TestVerify(t *testing.T) {
	idp := idptest.Start(t)
	idp.Add(t, "ec-1", "ES256")
	idp.Add(t, "ed-1", "EdDSA")
	auth := &wire.JWTAuthorizer{ID: "a1", Issuer: idp.Issuer(), Audience: []string{"portico"}, JWKSURI: idp.JWKSURI()}
	discover := &wire.JWTAuthorizer{ID: "a2", Issuer: idp.Issuer(), Audience: []string{"portico"}}
	pinned := func(algs ...string) *wire.JWTAuthorizer {
		a := *auth
		a.Algorithms = algs
		return &a
	}
	good := idp.Sign(t, "rsa-1", claims(idp, nil))
	rsaPub, err := x509.MarshalPKIXPublicKey(idp.Key("rsa-1").Signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	hmacConfused, err := func() (string, error) {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(idp, nil))
		tok.Header["kid"] = "rsa-1"
		return tok.SignedString(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPub}))
	}()
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(idp, nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		auth    *wire.JWTAuthorizer
		token   string
		scopes  []string
		wantErr error
	}{
		{"valid", auth, good, nil, nil},
		{"bearer prefix", auth, "Bearer " + good, nil, nil},
		{"discovery", discover, good, nil, nil},
		{"scope present", auth, good, []string{"admin", "pets:read"}, nil},
		{"scp array", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { delete(c, "scope"); c["scp"] = []string{"pets:read"} })), []string{"pets:read"}, nil},
		{"client_id instead of aud", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { delete(c, "aud"); c["client_id"] = "portico" })), nil, nil},
		{"aud list", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { c["aud"] = []string{"other", "portico"} })), nil, nil},
		{"ES256 pinned", pinned("ES256"), idp.Sign(t, "ec-1", claims(idp, nil)), nil, nil},
		{"EdDSA pinned", pinned("EdDSA"), idp.Sign(t, "ed-1", claims(idp, nil)), nil, nil},
		{"exp within leeway", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() })), nil, nil},

		{"missing", auth, "", nil, jwtauth.ErrInvalidToken},
		{"bearer only", auth, "Bearer ", nil, jwtauth.ErrInvalidToken},
		{"garbage", auth, "a.b.c", nil, jwtauth.ErrInvalidToken},
		{"too large", auth, strings.Repeat("a", 9<<10), nil, jwtauth.ErrInvalidToken},
		{"expired", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), nil, jwtauth.ErrInvalidToken},
		{"no exp", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { delete(c, "exp") })), nil, jwtauth.ErrInvalidToken},
		{"nbf ahead", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })), nil, jwtauth.ErrInvalidToken},
		{"iat ahead", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { c["iat"] = now.Add(time.Minute).Unix() })), nil, jwtauth.ErrInvalidToken},
		{"wrong issuer", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), nil, jwtauth.ErrInvalidToken},
		{"wrong audience", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { c["aud"] = "other" })), nil, jwtauth.ErrInvalidToken},
		{"no audience", auth, idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) { delete(c, "aud") })), nil, jwtauth.ErrInvalidToken},
		{"alg none", auth, none, nil, jwtauth.ErrInvalidToken},
		{"HMAC with the public key", pinned("RS256", "ES256"), hmacConfused, nil, jwtauth.ErrInvalidToken},
		{"ES256 not pinned", auth, idp.Sign(t, "ec-1", claims(idp, nil)), nil, jwtauth.ErrInvalidToken},
		{"tampered", auth, good[:len(good)-4] + "AAAA", nil, jwtauth.ErrInvalidToken},
		{"unknown kid", auth, func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(idp, nil))
			tok.Header["kid"] = "nope"
			s, _ := tok.SignedString(idp.Key("rsa-1").Signer)
			return s
		}(), nil, jwtauth.ErrInvalidToken},
		{"scope missing", auth, good, []string{"admin"}, jwtauth.ErrInsufficientScope},

		{"HMAC pinned", pinned("HS256"), good, nil, jwtauth.ErrConfig},
		{"none pinned", pinned("none"), good, nil, jwtauth.ErrConfig},
		{"no issuer", &wire.JWTAuthorizer{ID: "x"}, good, nil, jwtauth.ErrConfig},
	}
	v := newVerifier(time.Minute)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.Verify(context.Background(), tt.auth, tt.token, tt.scopes)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (res.Subject != "user-1" || res.Claims["sub"] != "user-1" || res.Expires.IsZero()) {
				t.Fatalf("Verify() = %+v, want subject user-1 with claims and expiry", res)
			}
		})
	}
}

func TestClaimsFlattened(t *testing.T) {
	idp := idptest.Start(t)
	auth := &wire.JWTAuthorizer{ID: "a1", Issuer: idp.Issuer(), JWKSURI: idp.JWKSURI()}
	tok := idp.Sign(t, "rsa-1", claims(idp, func(c jwt.MapClaims) {
		c["groups"] = []string{"a", "b"}
		c["n"] = 42
	}))
	res, err := newVerifier(time.Minute).Verify(context.Background(), auth, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"groups": `["a","b"]`, "n": "42", "scope": "pets:read pets:write", "aud": "portico"}
	for k, v := range want {
		if res.Claims[k] != v {
			t.Errorf("Claims[%q] = %q, want %q", k, res.Claims[k], v)
		}
	}
	if !res.Expires.Equal(time.Unix(now.Add(time.Hour).Unix(), 0)) {
		t.Errorf("Expires = %v, want %v", res.Expires, now.Add(time.Hour))
	}
}

func TestKeyRotationRefetches(t *testing.T) {
	idp := idptest.Start(t)
	auth := &wire.JWTAuthorizer{ID: "a1", Issuer: idp.Issuer(), JWKSURI: idp.JWKSURI()}
	v := newVerifier(0)
	ctx := context.Background()
	for range 3 {
		if _, err := v.Verify(ctx, auth, idp.Sign(t, "rsa-1", claims(idp, nil)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := idp.Fetches.Load(); got != 1 {
		t.Fatalf("key set fetched %d times, want 1 (cached)", got)
	}
	idp.Add(t, "rsa-2", "RS256")
	if _, err := v.Verify(ctx, auth, idp.Sign(t, "rsa-2", claims(idp, nil)), nil); err != nil {
		t.Fatalf("Verify(new kid) = %v, want nil after refetch", err)
	}
	if got := idp.Fetches.Load(); got != 2 {
		t.Fatalf("key set fetched %d times, want 2", got)
	}
}

func TestUnknownKidRefetchIsRateLimited(t *testing.T) {
	idp := idptest.Start(t)
	auth := &wire.JWTAuthorizer{ID: "a1", Issuer: idp.Issuer(), JWKSURI: idp.JWKSURI()}
	v := newVerifier(time.Minute)
	ctx := context.Background()
	if _, err := v.Verify(ctx, auth, idp.Sign(t, "rsa-1", claims(idp, nil)), nil); err != nil {
		t.Fatal(err)
	}
	idp.Add(t, "rsa-2", "RS256")
	for range 5 {
		if _, err := v.Verify(ctx, auth, idp.Sign(t, "rsa-2", claims(idp, nil)), nil); !errors.Is(err, jwtauth.ErrInvalidToken) {
			t.Fatalf("Verify(new kid within MinRefresh) = %v, want ErrInvalidToken", err)
		}
	}
	if got := idp.Fetches.Load(); got != 1 {
		t.Fatalf("key set fetched %d times, want 1 (unknown kids must not hammer the issuer)", got)
	}
}

func TestKeysUnavailable(t *testing.T) {
	idp := idptest.Start(t)
	auth := &wire.JWTAuthorizer{ID: "a1", Issuer: idp.Issuer(), JWKSURI: idp.JWKSURI()}
	tok := idp.Sign(t, "rsa-1", claims(idp, nil))
	idp.Server.Close()
	_, err := newVerifier(time.Minute).Verify(context.Background(), auth, tok, nil)
	if !errors.Is(err, jwtauth.ErrKeysUnavailable) || !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Fatalf("Verify() with the issuer down = %v, want ErrKeysUnavailable", err)
	}
}

func TestInsecureIssuerRefused(t *testing.T) {
	idp := idptest.Start(t)
	f := jwks.NewFetcher(jwks.FetcherConfig{Timeout: time.Second, Refresh: time.Minute, MaxBytes: 1 << 20, MaxURLs: 10}, nil, clock)
	v := jwtauth.New(jwtauth.Config{MaxTokenBytes: 8 << 10}, f, clock)
	auth := &wire.JWTAuthorizer{ID: "a1", Issuer: idp.Issuer(), JWKSURI: idp.JWKSURI()}
	_, err := v.Verify(context.Background(), auth, idp.Sign(t, "rsa-1", claims(idp, nil)), nil)
	if !errors.Is(err, jwtauth.ErrKeysUnavailable) || !strings.Contains(err.Error(), "not https") {
		t.Fatalf("Verify() with an http issuer = %v, want refused as not https", err)
	}
	if idp.Fetches.Load() != 0 {
		t.Error("the http key set was fetched")
	}
}
