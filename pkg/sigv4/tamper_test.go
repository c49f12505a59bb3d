package sigv4

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

const baseURL = "http://abc.execute-api.localhost:8080/prod/items/a%20b?x=1&y=2"

func baseRequest(t testing.TB) *Request {
	return sdkSigned(t, "POST", baseURL, `{"k":"v"}`, func(r *http.Request) {
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Amz-Meta-Owner", "alice")
	})
}

func TestBaseRequestVerifies(t *testing.T) {
	id, err := sdkVerifier(signingTime).Verify(baseRequest(t))
	if err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	if got, want := strings.Join(id.SignedHeaders, ";"), "content-length;content-type;host;x-amz-date;x-amz-meta-owner"; got != want {
		t.Errorf("SignedHeaders = %q, want %q", got, want)
	}
}

func setAuthParam(t testing.TB, r *Request, param, value string) {
	t.Helper()
	h := r.Header.Get("Authorization")
	i := strings.Index(h, param+"=")
	if i < 0 {
		t.Fatalf("no %s in %q", param, h)
	}
	j := strings.IndexByte(h[i:], ',')
	if j < 0 {
		j = len(h) - i
	}
	r.Header = r.Header.Clone()
	r.Header.Set("Authorization", h[:i]+param+"="+value+h[i+j:])
}

func TestTamperRefused(t *testing.T) {
	tests := []struct {
		name     string
		verifier func(*Verifier)
		mutate   func(t testing.TB, r *Request)
		wantType string
		wantMsg  string // exact, when set
		status   int
	}{
		{name: "body", mutate: func(_ testing.TB, r *Request) { r.Body = []byte(`{"k":"w"}`) },
			wantType: TypeInvalidSignature, wantMsg: MsgInvalidSignature},
		{name: "body-dropped", mutate: func(_ testing.TB, r *Request) { r.Body = nil },
			wantType: TypeInvalidSignature},
		{name: "header-value", mutate: func(_ testing.TB, r *Request) { r.Header.Set("X-Amz-Meta-Owner", "mallory") },
			wantType: TypeInvalidSignature},
		{name: "header-removed", mutate: func(_ testing.TB, r *Request) { r.Header.Del("Content-Type") },
			wantType: TypeInvalidSignature},
		{name: "header-extra-value", mutate: func(_ testing.TB, r *Request) { r.Header.Add("X-Amz-Meta-Owner", "mallory") },
			wantType: TypeInvalidSignature},
		{name: "host", mutate: func(_ testing.TB, r *Request) { r.Host = "evil.execute-api.localhost:8080" },
			wantType: TypeInvalidSignature},
		{name: "path", mutate: func(_ testing.TB, r *Request) { r.RawPath = "/prod/items/a%20c" },
			wantType: TypeInvalidSignature},
		{name: "path-encoding", mutate: func(_ testing.TB, r *Request) { r.RawPath = "/prod/items/a b" },
			wantType: TypeInvalidSignature},
		{name: "query-value", mutate: func(_ testing.TB, r *Request) { r.RawQuery = "x=1&y=3" },
			wantType: TypeInvalidSignature},
		{name: "query-added", mutate: func(_ testing.TB, r *Request) { r.RawQuery = "x=1&y=2&admin=true" },
			wantType: TypeInvalidSignature},
		{name: "query-dropped", mutate: func(_ testing.TB, r *Request) { r.RawQuery = "x=1" },
			wantType: TypeInvalidSignature},
		{name: "method", mutate: func(_ testing.TB, r *Request) { r.Method = "PUT" },
			wantType: TypeInvalidSignature},
		{name: "signed-headers-shortened", mutate: func(t testing.TB, r *Request) {
			setAuthParam(t, r, "SignedHeaders", "content-length;host;x-amz-date;x-amz-meta-owner")
		}, wantType: TypeInvalidSignature},
		{name: "signed-headers-without-host", mutate: func(t testing.TB, r *Request) {
			setAuthParam(t, r, "SignedHeaders", "content-length;content-type;x-amz-date;x-amz-meta-owner")
		}, wantType: TypeIncompleteSignature, wantMsg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "signature-flipped", mutate: func(t testing.TB, r *Request) {
			h := r.Header.Get("Authorization")
			last := h[len(h)-1]
			if last == '0' {
				last = '1'
			} else {
				last = '0'
			}
			r.Header.Set("Authorization", h[:len(h)-1]+string(last))
		}, wantType: TypeInvalidSignature},
		{name: "wrong-secret", verifier: func(v *Verifier) {
			v.Lookup = func(id string) (Credentials, bool) {
				return Credentials{AccessKeyID: id, SecretAccessKey: "another-secret"}, true
			}
		}, wantType: TypeInvalidSignature, wantMsg: MsgInvalidSignature, status: 403},
		{name: "unknown-key", verifier: func(v *Verifier) {
			v.Lookup = func(string) (Credentials, bool) { return Credentials{}, false }
		}, wantType: TypeUnrecognizedClient, wantMsg: "The security token included in the request is invalid.", status: 403},
		{name: "nil-lookup", verifier: func(v *Verifier) { v.Lookup = nil }, wantType: TypeUnrecognizedClient},
		{name: "skew-past", verifier: func(v *Verifier) {
			v.Now = func() time.Time { return signingTime.Add(6 * time.Minute) }
		}, wantType: TypeInvalidSignature, status: 403,
			wantMsg: "Signature expired: 20240315T123045Z is now earlier than 20240315T123145Z (20240315T123645Z - 5 min.)"},
		{name: "skew-future", verifier: func(v *Verifier) {
			v.Now = func() time.Time { return signingTime.Add(-6 * time.Minute) }
		}, wantType: TypeInvalidSignature,
			wantMsg: "Signature not yet current: 20240315T123045Z is still later than 20240315T122945Z (20240315T122445Z + 5 min.)"},
		{name: "skew-custom-window", verifier: func(v *Verifier) {
			v.MaxSkew = 15 * time.Minute
			v.Now = func() time.Time { return signingTime.Add(16 * time.Minute) }
		}, wantType: TypeInvalidSignature,
			wantMsg: "Signature expired: 20240315T123045Z is now earlier than 20240315T123145Z (20240315T124645Z - 15 min.)"},
		{name: "amz-date-changed", mutate: func(_ testing.TB, r *Request) { r.Header.Set("X-Amz-Date", "20240315T123046Z") },
			wantType: TypeInvalidSignature},
		{name: "scope-date-mismatch", mutate: func(t testing.TB, r *Request) {
			setAuthParam(t, r, "Credential", sdkKeyID+"/20240314/eu-west-1/execute-api/aws4_request")
		}, wantType: TypeInvalidSignature,
			wantMsg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240314' != '20240315', from '20240315T123045Z'."},
		{name: "bad-terminator", mutate: func(t testing.TB, r *Request) {
			setAuthParam(t, r, "Credential", sdkKeyID+"/20240315/eu-west-1/execute-api/aws5_request")
		}, wantType: TypeInvalidSignature},
		{name: "credential-4-parts", mutate: func(t testing.TB, r *Request) {
			setAuthParam(t, r, "Credential", sdkKeyID+"/20240315/eu-west-1/execute-api")
		}, wantType: TypeIncompleteSignature,
			wantMsg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + sdkKeyID + "/20240315/eu-west-1/execute-api'"},
		{name: "wrong-region-pinned", verifier: func(v *Verifier) { v.Region = "us-east-1" },
			wantType: TypeInvalidSignature, wantMsg: "Credential should be scoped to a valid region, not 'eu-west-1'. "},
		{name: "wrong-service-pinned", verifier: func(v *Verifier) { v.Service = "apigateway" },
			wantType: TypeInvalidSignature, wantMsg: "Credential should be scoped to correct service: 'apigateway'. "},
		{name: "scope-region-edited", mutate: func(t testing.TB, r *Request) {
			setAuthParam(t, r, "Credential", sdkKeyID+"/20240315/eu-west-2/execute-api/aws4_request")
		}, verifier: func(v *Verifier) { v.Region = "" }, wantType: TypeInvalidSignature, wantMsg: MsgInvalidSignature},
		{name: "missing-auth", mutate: func(_ testing.TB, r *Request) { r.Header.Del("Authorization") },
			wantType: TypeMissingAuthenticationToken, wantMsg: "Missing Authentication Token", status: 403},
		{name: "bearer", mutate: func(_ testing.TB, r *Request) {
			r.Header.Set("Authorization", "Bearer abc.def")
			r.Header.Del("X-Amz-Date")
		}, wantType: TypeIncompleteSignature,
			wantMsg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer abc.def"},
		{name: "missing-signature-param", mutate: func(t testing.TB, r *Request) {
			h := r.Header.Get("Authorization")
			r.Header.Set("Authorization", h[:strings.Index(h, ", Signature=")])
		}, wantType: TypeIncompleteSignature},
		{name: "unsupported-algorithm", mutate: func(t testing.TB, r *Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1))
		}, wantType: TypeIncompleteSignature, wantMsg: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'."},
		{name: "bad-amz-date", mutate: func(_ testing.TB, r *Request) { r.Header.Set("X-Amz-Date", "2024-03-15T12:30:45Z") },
			wantType: TypeIncompleteSignature,
			wantMsg:  "Date must be in ISO-8601 'basic format'. Got '2024-03-15T12:30:45Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "bad-date-header", mutate: func(_ testing.TB, r *Request) {
			r.Header.Del("X-Amz-Date")
			r.Header.Set("Date", "yesterday")
		}, wantType: TypeIncompleteSignature,
			wantMsg: "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "two-authorization-headers", mutate: func(_ testing.TB, r *Request) {
			r.Header.Add("Authorization", r.Header.Get("Authorization"))
		}, wantType: TypeIncompleteSignature},
		{name: "header-and-query-auth", mutate: func(_ testing.TB, r *Request) { r.RawQuery += "&X-Amz-Algorithm=AWS4-HMAC-SHA256" },
			wantType: TypeIncompleteSignature},
		{name: "unexpected-session-token", mutate: func(_ testing.TB, r *Request) { r.Header.Set("X-Amz-Security-Token", "forged") },
			wantType: TypeUnrecognizedClient},
		{name: "session-token-missing", verifier: func(v *Verifier) {
			v.Lookup = func(id string) (Credentials, bool) {
				return Credentials{AccessKeyID: id, SecretAccessKey: sdkSecret, SessionToken: "needed"}, true
			}
		}, wantType: TypeUnrecognizedClient},
		{name: "credentials-expired", verifier: func(v *Verifier) {
			v.Lookup = func(id string) (Credentials, bool) {
				return Credentials{AccessKeyID: id, SecretAccessKey: sdkSecret, Expires: signingTime.Add(-time.Second)}, true
			}
		}, wantType: TypeExpiredToken, wantMsg: "The security token included in the request is expired", status: 403},
		{name: "too-many-signed-headers", mutate: func(t testing.TB, r *Request) {
			setAuthParam(t, r, "SignedHeaders", "host"+strings.Repeat(";x-a", MaxSignedHeaders))
		}, wantType: TypeIncompleteSignature},
		{name: "too-many-query-params", mutate: func(_ testing.TB, r *Request) { r.RawQuery = strings.Repeat("a=1&", MaxQueryParams) + "b=2" },
			wantType: TypeIncompleteSignature},
		{name: "authorization-too-long", mutate: func(_ testing.TB, r *Request) {
			r.Header.Set("Authorization", r.Header.Get("Authorization")+strings.Repeat(" ", MaxAuthorizationLen))
		}, wantType: TypeIncompleteSignature},
		{name: "path-too-long", mutate: func(_ testing.TB, r *Request) { r.RawPath = "/" + strings.Repeat("a", MaxPathLen) },
			wantType: TypeIncompleteSignature},
		{name: "signed-header-too-big", mutate: func(_ testing.TB, r *Request) {
			r.Header.Set("X-Amz-Meta-Owner", strings.Repeat("x", MaxCanonicalHeadersLen))
		}, wantType: TypeIncompleteSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := baseRequest(t)
			r.Header = r.Header.Clone()
			if tt.mutate != nil {
				tt.mutate(t, r)
			}
			v := sdkVerifier(signingTime)
			if tt.verifier != nil {
				tt.verifier(v)
			}
			id, err := v.Verify(r)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify() = %+v, %v; want *Error %s", id, err, tt.wantType)
			}
			if e.Type != tt.wantType {
				t.Errorf("Verify() type = %q (%s), want %q", e.Type, e.Message, tt.wantType)
			}
			if tt.wantMsg != "" && e.Message != tt.wantMsg {
				t.Errorf("Verify() message = %q, want %q", e.Message, tt.wantMsg)
			}
			if tt.status != 0 && e.Status != tt.status {
				t.Errorf("Verify() status = %d, want %d", e.Status, tt.status)
			}
			if e.Code == "" {
				t.Errorf("Verify() code is empty")
			}
		})
	}
}

// TestContentSHA256Mismatch: a declared payload hash the signature covers
// must match the body actually received.
func TestContentSHA256Mismatch(t *testing.T) {
	r := sdkSigned(t, "POST", "http://h/prod/x", "real body", func(r *http.Request) {
		r.Header.Set("X-Amz-Content-Sha256", sha("real body"))
	})
	v := sdkVerifier(signingTime)
	if _, err := v.Verify(r); err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	r.Body = []byte("swapped body")
	_, err := v.Verify(r)
	var e *Error
	if !errors.As(err, &e) || e.Type != TypeContentSHA256Mismatch || e.Status != http.StatusBadRequest {
		t.Fatalf("Verify(swapped body) error = %v, want %s 400", err, TypeContentSHA256Mismatch)
	}
}

// TestPresignedTamper: a presigned URL's query, path and token are covered.
func TestPresignedTamper(t *testing.T) {
	build := func(t *testing.T) *Request {
		v := &presignBuilder{expires: "300"}
		return v.build(t)
	}
	tests := []struct {
		name     string
		mutate   func(r *Request)
		wantType string
	}{
		{name: "param-added", mutate: func(r *Request) { r.RawQuery += "&admin=1" }, wantType: TypeInvalidSignature},
		{name: "expires-raised", mutate: func(r *Request) {
			r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Expires=300", "X-Amz-Expires=600", 1)
		}, wantType: TypeInvalidSignature},
		{name: "path", mutate: func(r *Request) { r.RawPath = "/prod/other" }, wantType: TypeInvalidSignature},
		{name: "signature-removed", mutate: func(r *Request) {
			i := strings.Index(r.RawQuery, "&X-Amz-Signature=")
			r.RawQuery = r.RawQuery[:i]
		}, wantType: TypeIncompleteSignature},
		{name: "expires-not-number", mutate: func(r *Request) {
			r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Expires=300", "X-Amz-Expires=abc", 1)
		}, wantType: TypeIncompleteSignature},
		{name: "duplicate-signature", mutate: func(r *Request) { r.RawQuery += "&X-Amz-Signature=00" }, wantType: TypeIncompleteSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := build(t)
			if _, err := sdkVerifier(signingTime).Verify(r); err != nil {
				t.Fatalf("Verify(untouched) error = %v", err)
			}
			tt.mutate(r)
			if _, err := sdkVerifier(signingTime).Verify(r); !isType(err, tt.wantType) {
				t.Errorf("Verify() error = %v, want %s", err, tt.wantType)
			}
		})
	}
}
