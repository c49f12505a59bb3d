package edge

import (
	"strings"
	"testing"
)

// FuzzSlashed: slashed(p, rest, found) is "/" + rest for every strings.Cut of a suffix of p.
func FuzzSlashed(f *testing.F) {
	for _, s := range []string{"", "/", "/restapis/a/prod/_user_request_/pets/1", "/prod", "/prod/", "a//b", "/x/y/z?q"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, p string, from int) {
		if len(p) == 0 {
			from = 0
		} else {
			from = ((from % len(p)) + len(p)) % len(p)
		}
		_, rest, found := strings.Cut(p[from:], "/")
		if got, want := slashed(p, rest, found), "/"+rest; got != want {
			t.Errorf("slashed(%q, %q, %v) = %q, want %q", p, rest, found, got, want)
		}
	})
}
