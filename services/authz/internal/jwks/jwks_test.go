package jwks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/services/authz/internal/idptest"
	"github.com/portico/portico/services/authz/internal/jwks"
)

func TestParse(t *testing.T) {
	idp := idptest.Start(t)
	idp.Add(t, "ec-1", "ES256")
	idp.Add(t, "ed-1", "EdDSA")
	set, err := jwks.Parse(idp.JWKS())
	if err != nil {
		t.Fatalf("Parse(provider set) = %v", err)
	}
	if set.Len() != 3 {
		t.Errorf("Len() = %d, want 3", set.Len())
	}
	for _, kid := range []string{"rsa-1", "ec-1", "ed-1"} {
		if _, ok := set.Key(kid); !ok {
			t.Errorf("Key(%q) not found", kid)
		}
	}
	if _, ok := set.Key(""); ok {
		t.Error("Key(\"\") found a key in a set of three")
	}

	tests := []struct {
		name    string
		doc     string
		wantLen int
		wantErr bool
	}{
		{"empty", `{"keys":[]}`, 0, false},
		{"encryption key skipped", `{"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}]}`, 0, false},
		{"unknown type skipped", `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, 0, false},
		{"unknown curve skipped", `{"keys":[{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}]}`, 0, false},
		{"short RSA", `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`, 0, true},
		{"bad base64", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"!!"}]}`, 0, true},
		{"Ed25519 wrong size", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}`, 0, true},
		{"EC off the curve", `{"keys":[{"kty":"EC","crv":"P-256","x":"` + strings.Repeat("A", 43) + `","y":"` + strings.Repeat("A", 43) + `"}]}`, 0, true},
		{"duplicate kid", `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"` + strings.Repeat("A", 43) + `"},{"kty":"OKP","crv":"Ed25519","kid":"a","x":"` + strings.Repeat("A", 43) + `"}]}`, 0, true},
		{"not json", `{`, 0, true},
		{"too many", `{"keys":[` + strings.TrimSuffix(strings.Repeat(`{"kty":"oct"},`, jwks.MaxKeys+1), ",") + `]}`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := jwks.Parse([]byte(tt.doc))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse() error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && set.Len() != tt.wantLen {
				t.Fatalf("Len() = %d, want %d", set.Len(), tt.wantLen)
			}
		})
	}
}

func TestSingleKeyWithoutKid(t *testing.T) {
	doc := `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`
	set, err := jwks.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := set.Key(""); !ok {
		t.Error("Key(\"\") did not find the only key")
	}
}

func fetcher(now func() time.Time) *jwks.Fetcher {
	return jwks.NewFetcher(jwks.FetcherConfig{
		Timeout: 5 * time.Second, Refresh: time.Minute, MinRefresh: 10 * time.Second,
		MaxBytes: 4 << 10, MaxURLs: 2, AllowHTTP: true,
	}, nil, now)
}

func TestFetcherServesStaleOnError(t *testing.T) {
	idp := idptest.Start(t)
	clock := time.Unix(1_000_000, 0)
	f := fetcher(func() time.Time { return clock })
	ctx := context.Background()
	if _, err := f.Key(ctx, idp.JWKSURI(), "rsa-1"); err != nil {
		t.Fatal(err)
	}
	idp.Server.Close()
	clock = clock.Add(2 * time.Minute) // stale: refetch fails, the last good set serves
	if _, err := f.Key(ctx, idp.JWKSURI(), "rsa-1"); err != nil {
		t.Fatalf("Key() with the issuer down and a stale set = %v, want the stale key", err)
	}
	if _, err := f.Key(ctx, idp.JWKSURI(), "other"); err == nil {
		t.Fatal("Key(unknown kid) = nil error, want one")
	}
}

func TestFetcherLimits(t *testing.T) {
	var hits atomic.Int64
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprintf(w, `{"keys":[],"pad":%q}`, strings.Repeat("x", 8<<10))
	}))
	t.Cleanup(big.Close)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusInternalServerError)
	}))
	t.Cleanup(broken.Close)
	f := fetcher(nil)
	ctx := context.Background()
	if _, err := f.Key(ctx, big.URL+"/a", "k"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Key(oversized set) = %v, want a size error", err)
	}
	if _, err := f.Key(ctx, broken.URL, "k"); err == nil || !strings.Contains(err.Error(), "status 500") {
		t.Errorf("Key(500) = %v, want a status error", err)
	}
	if _, err := f.Key(ctx, big.URL+"/c", "k"); !errors.Is(err, jwks.ErrTooMany) {
		t.Errorf("Key(third URL) = %v, want ErrTooMany", err)
	}
	if _, err := f.Key(ctx, "ftp://example.com/jwks", "k"); !errors.Is(err, jwks.ErrInsecure) {
		t.Errorf("Key(ftp) = %v, want ErrInsecure", err)
	}
	if _, err := f.JWKSURI(ctx, broken.URL); err == nil {
		t.Error("JWKSURI(broken issuer) = nil error, want one")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := jwks.Parse(data)
		if err != nil {
			return
		}
		if set.Len() > jwks.MaxKeys {
			t.Fatalf("Parse accepted %d keys", set.Len())
		}
		_, _ = set.Key("")
	})
}
