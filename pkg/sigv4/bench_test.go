package sigv4

import (
	"net/http"
	"testing"
)

func BenchmarkVerify(b *testing.B) {
	r := sdkSigned(b, "POST", "http://abc.execute-api.localhost/prod/items/a%20b?x=1&y=2", `{"k":"v","n":12345678}`, func(r *http.Request) {
		r.Header.Set("Content-Type", "application/json")
	})
	v := sdkVerifier(signingTime)
	if _, err := v.Verify(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPresigned(b *testing.B) {
	r := (&presignBuilder{expires: "300"}).build(b)
	v := sdkVerifier(signingTime)
	if _, err := v.Verify(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}
