package lambdaevent

import "testing"

func BenchmarkMarshalV1(b *testing.B) {
	r := sample()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(V1, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalV2(b *testing.B) {
	r := sample()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(V2, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseResponseV1(b *testing.B) {
	in := []byte(`{"statusCode":201,"headers":{"Content-Type":"text/plain","X-A":"1"},"body":"hello"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseResponse(V1, in); err != nil {
			b.Fatal(err)
		}
	}
}
