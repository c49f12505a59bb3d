package sigv4

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestFromHTTPRawPath(t *testing.T) {
	tests := []struct {
		name       string
		requestURI string
		url        string
		want       string
	}{
		{name: "origin-form", requestURI: "/prod/a%20b?x=1", url: "/prod/a%20b?x=1", want: "/prod/a%20b"},
		{name: "keeps-exact-escaping", requestURI: "/prod/%7euser/a%2fb", url: "/prod/%7euser/a%2fb", want: "/prod/%7euser/a%2fb"},
		{name: "absolute-form", requestURI: "http://h:8080/prod/x%20y?q=1", url: "http://h:8080/prod/x%20y?q=1", want: "/prod/x%20y"},
		{name: "absolute-form-no-path", requestURI: "http://h", url: "http://h", want: "/"},
		{name: "client-side", requestURI: "", url: "http://h/prod/caf%C3%A9", want: "/prod/caf%C3%A9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			r := &http.Request{Method: "GET", URL: u, RequestURI: tt.requestURI, Host: "h", Header: http.Header{}}
			if got := FromHTTP(r, nil).RawPath; got != tt.want {
				t.Errorf("FromHTTP().RawPath = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHeaderValuesAccessor verifies through a func accessor over lower-case
// names, as the fasthttp edge provides, and through a lower-case header map.
func TestHeaderValuesAccessor(t *testing.T) {
	r := sdkSigned(t, "POST", "http://h/prod/x", "payload", func(r *http.Request) {
		r.Header.Add("X-Amz-Meta-A", "1")
		r.Header.Add("X-Amz-Meta-A", "2")
	})
	lower := map[string][]string{}
	for k, v := range r.Header {
		lower[strings.ToLower(k)] = v
	}
	viaFunc := &Request{Method: r.Method, RawPath: r.RawPath, RawQuery: r.RawQuery, Host: r.Host, Body: r.Body,
		HeaderValues: func(name string) []string { return lower[name] }}
	if _, err := sdkVerifier(signingTime).Verify(viaFunc); err != nil {
		t.Fatalf("Verify(HeaderValues) error = %v", err)
	}
	viaLowerMap := *viaFunc
	viaLowerMap.HeaderValues = nil
	viaLowerMap.Header = http.Header(lower)
	if _, err := sdkVerifier(signingTime).Verify(&viaLowerMap); err != nil {
		t.Fatalf("Verify(lower-case Header) error = %v", err)
	}
	lower["x-amz-meta-a"] = []string{"2", "1"}
	if _, err := sdkVerifier(signingTime).Verify(viaFunc); !isType(err, TypeInvalidSignature) {
		t.Fatalf("Verify(values reordered) error = %v, want %s", err, TypeInvalidSignature)
	}
}

func TestFromHTTPContentLength(t *testing.T) {
	r := sdkSigned(t, "PUT", "http://h/prod/x", "12345", nil)
	if got := r.Header.Get(textproto.CanonicalMIMEHeaderKey("content-length")); got != "5" {
		t.Fatalf("FromHTTP() Content-Length = %q, want 5", got)
	}
	if _, err := sdkVerifier(signingTime).Verify(r); err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
}

func TestVerifyNilRequest(t *testing.T) {
	if _, err := sdkVerifier(signingTime).Verify(nil); !isType(err, TypeMissingAuthenticationToken) {
		t.Fatalf("Verify(nil) error = %v", err)
	}
}

// TestVerifyConcurrent shares one Verifier (and its key cache) across
// goroutines; run with -race.
func TestVerifyConcurrent(t *testing.T) {
	v := sdkVerifier(signingTime)
	good := sdkSigned(t, "GET", "http://h/prod/ok", "", nil)
	bad := sdkSigned(t, "GET", "http://h/prod/ok", "", nil)
	bad.Method = "HEAD"
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if _, err := v.Verify(good); err != nil {
					errs <- "good: " + err.Error()
					return
				}
				if _, err := v.Verify(bad); !isType(err, TypeInvalidSignature) {
					errs <- "bad: " + err.Error()
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestKeyCacheBounded(t *testing.T) {
	var c keyCache
	for i := range maxCachedKeys + 10 {
		c.get("secret", credential{date: "20240101", region: "r", service: strings.Repeat("s", i%50) + string(rune('a'+i%26)) + strings.Repeat("x", i/26)})
	}
	if n := len(c.m); n > maxCachedKeys {
		t.Fatalf("key cache holds %d keys, want ≤ %d", n, maxCachedKeys)
	}
	k1 := c.get("secret", credential{date: "20240101", region: "r", service: "svc"})
	if got := DeriveSigningKey("secret", "20240101", "r", "svc"); string(got) != string(k1) {
		t.Fatalf("cached key differs from derived key")
	}
}
