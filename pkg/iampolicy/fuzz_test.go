package iampolicy

import "testing"

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}}`,
		`{"Statement":[{"Effect":"Deny","Principal":{"AWS":["123456789012","arn:aws:iam::1:user/*"]},"NotAction":"x","NotResource":["a?","b*"],"Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"StringLike":{"k":"v*"}}}]}`,
		`"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}"`,
		`{"Statement":null}`, `[]`, `""`,
	} {
		f.Add([]byte(s), "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/pets", "10.1.2.3")
	}
	f.Fuzz(func(t *testing.T, doc []byte, resource, ip string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		if len(p.Statements) == 0 || len(p.Statements) > MaxStatements {
			t.Fatalf("Parse accepted %d statements", len(p.Statements))
		}
		r := &Request{Action: ActionInvoke, Resource: resource, SourceIP: ip, Principal: "arn:aws:iam::123456789012:user/x"}
		d := p.Evaluate(r)
		if d != p.Evaluate(r) {
			t.Fatal("Evaluate is not deterministic")
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("*", "")
	f.Add("*a*b", "xaxxa")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 64 {
			return
		}
		if !Match(s, s, false) {
			t.Fatalf("Match(%q, %q) = false, a pattern matches itself", s, s)
		}
		if got, want := Match(pattern, s, false), matchDP(pattern, s); got != want {
			t.Fatalf("Match(%q, %q) = %v, want %v", pattern, s, got, want)
		}
	})
}

// matchDP is the textbook dynamic programme Match must agree with.
func matchDP(p, s string) bool {
	dp := make([][]bool, len(p)+1)
	for i := range dp {
		dp[i] = make([]bool, len(s)+1)
	}
	dp[0][0] = true
	for i := 1; i <= len(p); i++ {
		for j := 0; j <= len(s); j++ {
			switch p[i-1] {
			case '*':
				dp[i][j] = dp[i-1][j] || (j > 0 && dp[i][j-1])
			case '?':
				dp[i][j] = j > 0 && dp[i-1][j-1]
			default:
				dp[i][j] = j > 0 && dp[i-1][j-1] && p[i-1] == s[j-1]
			}
		}
	}
	return dp[len(p)][len(s)]
}
