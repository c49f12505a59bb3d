package backend

import (
	"maps"
	"net/url"
	"testing"
)

// FuzzParsePathParams: parsePathParams reads Portico-Path-Params exactly as url.ParseQuery
// (first value of each name; nil when empty or malformed).
func FuzzParsePathParams(f *testing.F) {
	for _, s := range []string{"", "id=1", "id=1&id=2", "a=%2F&b=x+y", "=x", "a", "a;b=1", "a=%zz", "&&a=1&", "pet%20id=%E2%82%AC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		var want map[string]string
		if pp, err := url.ParseQuery(q); err == nil && len(pp) > 0 {
			want = make(map[string]string, len(pp))
			for k, v := range pp {
				want[k] = v[0]
			}
		}
		got := parsePathParams(q)
		if !maps.Equal(got, want) || (got == nil) != (want == nil) {
			t.Errorf("parsePathParams(%q) = %v, want %v", q, got, want)
		}
	})
}
