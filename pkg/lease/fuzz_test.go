package lease

import "testing"

// FuzzParsePolicy: a policy name parses to one of the two policies or fails, and a parsed
// policy's name parses back to it.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"", "fail-open", "fail-closed", "FAIL_CLOSED", "open"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePolicy(s)
		if err != nil {
			return
		}
		if p != FailOpen && p != FailClosed {
			t.Fatalf("ParsePolicy(%q) = %d", s, p)
		}
		if back, err := ParsePolicy(p.String()); err != nil || back != p {
			t.Fatalf("ParsePolicy(%q) = %v, %v; want %v", p.String(), back, err, p)
		}
	})
}
