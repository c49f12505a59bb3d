package sigv4

import (
	"net/http"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"",
		"Bearer abc",
		"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=host,Signature=x",
		"AWS4-HMAC-SHA256 Credential=,SignedHeaders=;;,Signature=",
		"AWS4-HMAC-SHA256 Credential=a/b Credential=c",
		"AWS4-HMAC-SHA256 SignedHeaders=HOST;X-Amz-Date;:authority",
	} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, h string, hasDate bool) {
		a, err := parseAuthorization(h, hasDate)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("parseAuthorization(%q) error %T, want *Error", h, err)
			}
			return
		}
		if a.algorithm != Algorithm || len(a.headerNames) == 0 || len(a.headerNames) > MaxSignedHeaders {
			t.Fatalf("parseAuthorization(%q) = %+v", h, a)
		}
		for _, n := range a.headerNames {
			if n != strings.ToLower(n) {
				t.Fatalf("parseAuthorization(%q) header %q not lower-case", h, n)
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	valid := sdkSigned(f, "POST", "http://h/prod/a%20b?x=1&y=%2B", "body", nil)
	pre := (&presignBuilder{expires: "300"}).build(f)
	f.Add(valid.Method, valid.RawPath, valid.RawQuery, valid.Header.Get("Authorization"), valid.Header.Get("X-Amz-Date"), "", []byte("body"))
	f.Add(pre.Method, pre.RawPath, pre.RawQuery, "", "", "", []byte(nil))
	f.Add("GET", "/", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Expires=-1", "", "", "", []byte(nil))
	f.Add("GET", "//../%zz", "a=%&b=;&&=", "AWS4-HMAC-SHA256 Credential=x/20240315/r/s/aws4_request, SignedHeaders=host;x-t, Signature=ab", "20240315T123045Z", "UNSIGNED-PAYLOAD", []byte(nil))
	f.Fuzz(func(t *testing.T, method, path, query, authz, date, hash string, body []byte) {
		v := sdkVerifier(signingTime)
		v.AllowNormalizedPath = len(body)%2 == 1
		h := http.Header{}
		if authz != "" {
			h.Set("Authorization", authz)
		}
		if date != "" {
			h.Set("X-Amz-Date", date)
		}
		if hash != "" {
			h.Set("X-Amz-Content-Sha256", hash)
		}
		h.Set("X-T", "a\t b")
		id, err := v.Verify(&Request{Method: method, RawPath: path, RawQuery: query, Host: "h", Header: h, Body: body})
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Status == 0 || e.Type == "" || e.Code == "" {
				t.Fatalf("Verify() error = %#v", err)
			}
			return
		}
		if id.AccessKeyID == "" {
			t.Fatalf("Verify() identity without key: %+v", id)
		}
	})
}
