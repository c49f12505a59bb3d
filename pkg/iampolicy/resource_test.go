package iampolicy

import (
	"strings"
	"testing"
)

func TestEvaluateResourcePolicy(t *testing.T) {
	// A typical API Gateway resource policy: anyone may invoke, except from outside the
	// office networks; alice's account may invoke /admin.
	policy := `{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*/GET/*"},
	    {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
	     "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8:1::/48"]}}},
	    {"Effect": "Allow", "Principal": {"AWS": ["111122223333"]}, "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/POST/admin"},
	    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:user/b?b"}, "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/PUT/*"}
	  ]
	}`
	base := "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/"
	tests := []struct {
		name, principal, arn, ip string
		want                     Decision
	}{
		{"anonymous get from office", "", base + "GET/pets", "203.0.113.9", Allow},
		{"anonymous get from office v6", "", base + "GET/pets", "2001:db8:1::5", Allow},
		{"anonymous get from outside", "", base + "GET/pets", "198.51.100.1", ExplicitDeny},
		{"anonymous post", "", base + "POST/admin", "203.0.113.9", ImplicitDeny},
		{"account principal", "arn:aws:iam::111122223333:user/alice", base + "POST/admin", "203.0.113.9", Allow},
		{"account root form", "arn:aws:iam::111122223333:root", base + "POST/admin", "203.0.113.9", Allow},
		{"other account", "arn:aws:iam::999999999999:user/alice", base + "POST/admin", "203.0.113.9", ImplicitDeny},
		{"arn wildcard principal", "arn:aws:iam::444455556666:user/bob", base + "PUT/x", "203.0.113.9", Allow},
		{"arn wildcard mismatch", "arn:aws:iam::444455556666:user/bobby", base + "PUT/x", "203.0.113.9", ImplicitDeny},
		{"other api", "", "arn:aws:execute-api:us-east-1:123456789012:zzz/prod/GET/pets", "203.0.113.9", Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EvaluateResourcePolicy(policy, tt.principal, tt.arn, tt.ip)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("EvaluateResourcePolicy(%q, %q, %q) = %v, want %v", tt.principal, tt.arn, tt.ip, got, tt.want)
			}
		})
	}
	if d, err := EvaluateResourcePolicy("", "", base+"GET/x", ""); err != nil || d != ImplicitDeny {
		t.Errorf("empty policy = %v, %v; want ImplicitDeny, nil", d, err)
	}
	if _, err := EvaluateResourcePolicy("{", "", base+"GET/x", ""); err == nil {
		t.Error("malformed policy: no error")
	}
}

func TestCombine(t *testing.T) {
	I, A, D := ImplicitDeny, Allow, ExplicitDeny
	tests := []struct {
		name      string
		hasPolicy bool
		resource  Decision
		auth      AuthType
		authz     Decision
		want      Decision
	}{
		{"no policy none", false, I, AuthNone, I, A},
		{"no policy custom allow", false, I, AuthCustom, A, A},
		{"no policy custom deny", false, I, AuthCustom, D, D},
		{"no policy iam implicit", false, I, AuthIAM, I, I},
		{"none allow", true, A, AuthNone, I, A},
		{"none implicit", true, I, AuthNone, I, I},
		{"none deny", true, D, AuthNone, I, D},
		{"iam allow allow", true, A, AuthIAM, A, A},
		{"iam rp allow iam neither", true, A, AuthIAM, I, A},
		{"iam rp neither iam allow", true, I, AuthIAM, A, A},
		{"iam neither neither", true, I, AuthIAM, I, I},
		{"iam rp deny", true, D, AuthIAM, A, D},
		{"iam deny", true, A, AuthIAM, D, D},
		{"cross account needs both", true, I, AuthIAMCrossAccount, A, I},
		{"cross account both", true, A, AuthIAMCrossAccount, A, A},
		{"custom allow allow", true, A, AuthCustom, A, A},
		{"custom neither allow", true, I, AuthCustom, A, A},
		{"custom allow deny", true, A, AuthCustom, D, D},
		{"custom allow implicit", true, A, AuthCustom, I, I},
		{"custom rp deny", true, D, AuthCustom, A, D},
		{"cognito neither allow", true, I, AuthCognito, A, A},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Combine(tt.hasPolicy, tt.resource, tt.auth, tt.authz); got != tt.want {
				t.Errorf("Combine(%v, %v, %v, %v) = %v, want %v", tt.hasPolicy, tt.resource, tt.auth, tt.authz, got, tt.want)
			}
		})
	}
}

func TestDenyMessage(t *testing.T) {
	got := DenyMessage("arn:aws:iam::123456789012:user/alice", ActionInvoke, arnGetPets, false)
	want := "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: execute-api:Invoke on resource: " + arnGetPets
	if got != want {
		t.Errorf("DenyMessage = %q, want %q", got, want)
	}
	if got := DenyMessage("", ActionInvoke, arnGetPets, true); !strings.HasPrefix(got, "User: anonymous ") || !strings.HasSuffix(got, " with an explicit deny") {
		t.Errorf("DenyMessage(anonymous, explicit) = %q", got)
	}
}
