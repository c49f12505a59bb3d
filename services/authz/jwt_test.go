package authz_test

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portico/portico/pkg/authzclient"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/authz"
	"github.com/portico/portico/services/authz/internal/idptest"
)

func jwtReq(idp *idptest.IdP, token string, scopes ...string) *wire.AuthzRequest {
	return &wire.AuthzRequest{
		APIID: "api", Stage: "prod", Method: "GET", Path: "/pets",
		JWT:    &wire.JWTAuthorizer{ID: "auth1", Issuer: idp.Issuer(), Audience: []string{"portico"}},
		Token:  "Bearer " + token,
		Scopes: scopes,
	}
}

func TestJWTAuthorizer(t *testing.T) {
	idp := idptest.Start(t)
	e := newEnv(t)
	e.putKey(t, "k1", "key-secret", true, "api/prod")
	e.start(t, func(c *authz.Config) { c.JWT.AllowHTTP = true })
	c := e.client(t, func(c *authzclient.Config) { c.DenyTTL = time.Hour })
	ctx := context.Background()

	sign := func(ttl time.Duration, scope string) string {
		return idp.Sign(t, "rsa-1", jwt.MapClaims{
			"iss": idp.Issuer(), "sub": "alice", "aud": "portico", "scope": scope,
			"iat": time.Now().Add(-time.Minute).Unix(), "exp": time.Now().Add(ttl).Unix(),
		})
	}
	long := sign(time.Hour, "pets:read")

	t.Run("valid token", func(t *testing.T) {
		for range 3 {
			d, err := c.Check(ctx, jwtReq(idp, long))
			if err != nil || !d.Allow || d.PrincipalID != "alice" || d.Context["scope"] != "pets:read" {
				t.Fatalf("Check = %+v, %v, want allow alice with claims", d, err)
			}
			if d.TTLSeconds != 300 {
				t.Fatalf("TTLSeconds = %d, want 300", d.TTLSeconds)
			}
		}
	})
	t.Run("allow never outlives the token", func(t *testing.T) {
		d, err := c.Check(ctx, jwtReq(idp, sign(90*time.Second, "pets:read")))
		if err != nil || !d.Allow || d.TTLSeconds > 90 || d.TTLSeconds < 60 {
			t.Fatalf("Check = %+v, %v, want allow with TTL in [60, 90]", d, err)
		}
	})
	t.Run("scopes", func(t *testing.T) {
		if d, err := c.Check(ctx, jwtReq(idp, long, "pets:read")); err != nil || !d.Allow {
			t.Fatalf("Check(scope held) = %+v, %v, want allow", d, err)
		}
		if d, err := c.Check(ctx, jwtReq(idp, long, "pets:admin")); err != nil || d.Allow || d.Code != wire.CodeForbidden {
			t.Fatalf("Check(scope lacking) = %+v, %v, want Forbidden", d, err)
		}
	})
	t.Run("invalid tokens", func(t *testing.T) {
		for name, tok := range map[string]string{
			"expired": sign(-time.Hour, "pets:read"),
			"garbage": "not.a.token",
			"missing": "",
		} {
			d, err := c.Check(ctx, jwtReq(idp, tok))
			if err != nil || d.Allow || d.Code != wire.CodeUnauthorized || d.Message != "Unauthorized" {
				t.Errorf("Check(%s) = %+v, %v, want Unauthorized", name, d, err)
			}
		}
	})
	t.Run("JWT and API key", func(t *testing.T) {
		r := jwtReq(idp, long)
		r.NeedAPIKey, r.APIKey = true, "key-secret"
		d, err := c.Check(ctx, r)
		if err != nil || !d.Allow || d.PrincipalID != "alice" || d.UsageKey != "k1" {
			t.Fatalf("Check(jwt+key) = %+v, %v, want allow alice with usage key k1", d, err)
		}
		r = jwtReq(idp, long)
		r.NeedAPIKey, r.APIKey = true, "wrong"
		if d, err := c.Check(ctx, r); err != nil || d.Allow || d.Code != wire.CodeForbidden {
			t.Fatalf("Check(jwt+bad key) = %+v, %v, want Forbidden", d, err)
		}
	})
	t.Run("misconfigured authorizer", func(t *testing.T) {
		r := jwtReq(idp, long)
		r.JWT.Algorithms = []string{"HS256"}
		r.JWT.ID = "auth-hs"
		d, err := c.Check(ctx, r)
		if err != nil || d.Allow || d.Code != wire.CodeInternal {
			t.Fatalf("Check(HS256 authorizer) = %+v, %v, want InternalError", d, err)
		}
	})
	// The key set was fetched once (discovery, then the set), whatever the number of checks.
	if got := idp.Fetches.Load(); got != 1 {
		t.Errorf("key set fetched %d times, want 1", got)
	}
	if st := c.Stats(); st.Hits < 2 {
		t.Errorf("client Stats() = %+v, want the repeated valid token served from cache", st)
	}
}

func TestJWTIssuerDownIsNotCached(t *testing.T) {
	idp := idptest.Start(t)
	e := newEnv(t)
	e.start(t, func(c *authz.Config) { c.JWT.AllowHTTP = true })
	c := e.client(t, func(c *authzclient.Config) { c.DenyTTL = time.Hour })
	tok := idp.Sign(t, "rsa-1", jwt.MapClaims{"iss": idp.Issuer(), "sub": "bob", "aud": "portico", "exp": time.Now().Add(time.Hour).Unix()})
	idp.Server.Close()
	for range 2 {
		d, err := c.Check(context.Background(), jwtReq(idp, tok))
		if err != nil || d.Allow || d.Code != wire.CodeUnauthorized {
			t.Fatalf("Check with the issuer down = %+v, %v, want Unauthorized", d, err)
		}
	}
	if got := e.checks(t, "deny"); got != 2 {
		t.Errorf("service answered %d denials, want 2 (an outage denial is not cached)", got)
	}
}
