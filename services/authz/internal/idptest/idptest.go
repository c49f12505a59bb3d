// Package idptest runs a small OpenID Connect identity provider over loopback HTTP for tests:
// a discovery document, a key set that can rotate, and token signing.
package idptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Key is a signing key the provider publishes.
type Key struct {
	KID    string
	Alg    string // RS256, ES256, EdDSA
	Signer crypto.Signer
}

// IdP is the identity provider.
type IdP struct {
	Server *httptest.Server
	// Fetches counts requests for the key set.
	Fetches atomic.Int64

	mu   sync.Mutex
	keys []Key
}

// Start runs a provider with one RS256 key "rsa-1", stopped when the test ends.
func Start(t testing.TB) *IdP {
	t.Helper()
	p := &IdP{}
	p.Add(t, "rsa-1", "RS256")
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.Issuer(), "jwks_uri": p.JWKSURI()})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		p.Fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(p.JWKS())
	})
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Server.Close)
	return p
}

// Issuer is the provider's issuer URL.
func (p *IdP) Issuer() string { return p.Server.URL }

// JWKSURI is the provider's key set URL.
func (p *IdP) JWKSURI() string { return p.Server.URL + "/jwks" }

// Add generates and publishes a key.
func (p *IdP) Add(t testing.TB, kid, alg string) Key {
	t.Helper()
	var signer crypto.Signer
	var err error
	switch alg {
	case "RS256":
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("idptest: algorithm %s", alg)
	}
	if err != nil {
		t.Fatalf("idptest: key: %v", err)
	}
	k := Key{KID: kid, Alg: alg, Signer: signer}
	p.mu.Lock()
	p.keys = append(p.keys, k)
	p.mu.Unlock()
	return k
}

// Key returns the published key kid.
func (p *IdP) Key(kid string) Key {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.keys {
		if k.KID == kid {
			return k
		}
	}
	panic("idptest: no key " + kid)
}

// JWKS is the key set document.
func (p *IdP) JWKS() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var keys []map[string]string
	b64 := base64.RawURLEncoding.EncodeToString
	for _, k := range p.keys {
		m := map[string]string{"kid": k.KID, "alg": k.Alg, "use": "sig"}
		switch pub := k.Signer.Public().(type) {
		case *rsa.PublicKey:
			m["kty"], m["n"], m["e"] = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
		case *ecdsa.PublicKey:
			b, _ := pub.Bytes()
			m["kty"], m["crv"], m["x"], m["y"] = "EC", "P-256", b64(b[1:33]), b64(b[33:])
		case ed25519.PublicKey:
			m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64(pub)
		}
		keys = append(keys, m)
	}
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

// Sign signs claims with the key kid.
func (p *IdP) Sign(t testing.TB, kid string, claims jwt.MapClaims) string {
	t.Helper()
	k := p.Key(kid)
	var m jwt.SigningMethod
	switch k.Alg {
	case "RS256":
		m = jwt.SigningMethodRS256
	case "ES256":
		m = jwt.SigningMethodES256
	case "EdDSA":
		m = jwt.SigningMethodEdDSA
	}
	tok := jwt.NewWithClaims(m, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k.Signer)
	if err != nil {
		t.Fatalf("idptest: sign: %v", err)
	}
	return s
}
