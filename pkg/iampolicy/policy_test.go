package iampolicy

import (
	"errors"
	"strings"
	"testing"
)

const arnGetPets = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets"

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s) = %v", doc, err)
	}
	return p
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name, pattern, s string
		fold, want       bool
	}{
		{"exact", "abc", "abc", false, true},
		{"star all", "*", "anything/at:all", false, true},
		{"star empty", "a*", "a", false, true},
		{"star middle spans slash", "arn:*/GET/*", "arn:x:y/prod/GET/pets/1", false, true},
		{"question", "a?c", "abc", false, true},
		{"question needs one", "a?c", "ac", false, false},
		{"case sensitive", "ABC", "abc", false, false},
		{"case folded", "execute-api:invoke", "execute-api:Invoke", true, true},
		{"trailing", "abc", "abcd", false, false},
		{"backtrack", "*a*b", "xaxxab", false, true},
		{"backtrack fail", "*a*b", "xaxxa", false, false},
		{"empty pattern", "", "", false, true},
		{"empty pattern nonempty", "", "x", false, false},
		{"stars only", "***", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.pattern, tt.s, tt.fold); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		name, doc string
		wantErr   bool
	}{
		{"statement object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}}`, false},
		{"statement list", `{"Statement":[{"Effect":"Deny","Action":["execute-api:*"],"Resource":["a","b"]}]}`, false},
		{"quoted document", `"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}"`, false},
		{"no statement", `{"Version":"2012-10-17"}`, true},
		{"bad effect", `{"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}`, true},
		{"no action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`, true},
		{"action and notaction", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"x","Resource":"*"}}`, true},
		{"no resource", `{"Statement":{"Effect":"Allow","Action":"*"}}`, true},
		{"empty list", `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, true},
		{"number action", `{"Statement":{"Effect":"Allow","Action":1,"Resource":"*"}}`, true},
		{"principal string not star", `{"Statement":{"Effect":"Allow","Principal":"bob","Action":"*","Resource":"*"}}`, true},
		{"unknown operator", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020"}}}}`, true},
		{"bad cidr", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}}}`, true},
		{"ip on other key", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:Referer":"1.1.1.1"}}}}`, true},
		{"not json", `{`, true},
		{"too many statements", `{"Statement":[` + strings.Repeat(`{"Effect":"Allow","Action":"*","Resource":"*"},`, MaxStatements) + `{"Effect":"Allow","Action":"*","Resource":"*"}]}`, true},
		{"too large", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"` + strings.Repeat("a", MaxDocumentBytes) + `"}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	getOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/*"}]}`
	allowAllDenyDelete := `{"Statement":[
		{"Effect":"Allow","Action":"execute-api:*","Resource":"*"},
		{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:abc123/*/DELETE/*"}]}`
	notResource := `{"Statement":{"Effect":"Allow","Action":"execute-api:Invoke","NotResource":"arn:aws:execute-api:*:*:abc123/admin/*"}}`
	notAction := `{"Statement":{"Effect":"Allow","NotAction":"execute-api:ManageConnections","Resource":"*"}}`
	ipAllow := `{"Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","192.0.2.7"]}}}}`
	ipDeny := `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	strEq := `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"},"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/a*"}}}}`
	tests := []struct {
		name, doc string
		req       Request
		want      Decision
	}{
		{"allow get", getOnly, Request{Action: ActionInvoke, Resource: arnGetPets}, Allow},
		{"action case folded", getOnly, Request{Action: "Execute-API:invoke", Resource: arnGetPets}, Allow},
		{"implicit deny delete", getOnly, Request{Action: ActionInvoke, Resource: strings.Replace(arnGetPets, "GET", "DELETE", 1)}, ImplicitDeny},
		{"implicit deny other api", getOnly, Request{Action: ActionInvoke, Resource: strings.Replace(arnGetPets, "abc123", "zzz", 1)}, ImplicitDeny},
		{"implicit deny other action", getOnly, Request{Action: ActionManageConnections, Resource: arnGetPets}, ImplicitDeny},
		{"explicit deny wins", allowAllDenyDelete, Request{Action: ActionInvoke, Resource: strings.Replace(arnGetPets, "GET", "DELETE", 1)}, ExplicitDeny},
		{"allow beside deny", allowAllDenyDelete, Request{Action: ActionInvoke, Resource: arnGetPets}, Allow},
		{"not resource allows", notResource, Request{Action: ActionInvoke, Resource: arnGetPets}, Allow},
		{"not resource excludes", notResource, Request{Action: ActionInvoke, Resource: "arn:aws:execute-api:us-east-1:1:abc123/admin/GET/x"}, ImplicitDeny},
		{"not action allows", notAction, Request{Action: ActionInvoke, Resource: arnGetPets}, Allow},
		{"not action excludes", notAction, Request{Action: ActionManageConnections, Resource: arnGetPets}, ImplicitDeny},
		{"ipv4 in cidr", ipAllow, Request{Action: ActionInvoke, Resource: arnGetPets, SourceIP: "10.1.2.3"}, Allow},
		{"ipv4 single", ipAllow, Request{Action: ActionInvoke, Resource: arnGetPets, SourceIP: "192.0.2.7"}, Allow},
		{"ipv4 mapped", ipAllow, Request{Action: ActionInvoke, Resource: arnGetPets, SourceIP: "::ffff:10.1.2.3"}, Allow},
		{"ipv6 in cidr", ipAllow, Request{Action: ActionInvoke, Resource: arnGetPets, SourceIP: "2001:db8::1"}, Allow},
		{"ip outside", ipAllow, Request{Action: ActionInvoke, Resource: arnGetPets, SourceIP: "11.0.0.1"}, ImplicitDeny},
		{"ip missing", ipAllow, Request{Action: ActionInvoke, Resource: arnGetPets}, ImplicitDeny},
		{"not ip denies outside", ipDeny, Request{Action: ActionInvoke, Resource: arnGetPets, SourceIP: "8.8.8.8"}, ExplicitDeny},
		{"not ip inside allows", ipDeny, Request{Action: ActionInvoke, Resource: arnGetPets, SourceIP: "10.9.9.9"}, Allow},
		{"not ip missing denies", ipDeny, Request{Action: ActionInvoke, Resource: arnGetPets}, ExplicitDeny},
		{"string conditions hold", strEq, Request{Action: ActionInvoke, Resource: arnGetPets, Principal: "arn:aws:iam::1:user/alice", Keys: map[string]string{"aws:sourcevpce": "vpce-1"}}, Allow},
		{"string equals fails", strEq, Request{Action: ActionInvoke, Resource: arnGetPets, Principal: "arn:aws:iam::1:user/alice", Keys: map[string]string{"aws:sourcevpce": "vpce-2"}}, ImplicitDeny},
		{"string like fails", strEq, Request{Action: ActionInvoke, Resource: arnGetPets, Principal: "arn:aws:iam::1:user/bob", Keys: map[string]string{"aws:sourcevpce": "vpce-1"}}, ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.doc).Evaluate(&tt.req); got != tt.want {
				t.Errorf("Evaluate(%+v) = %v, want %v", tt.req, got, tt.want)
			}
		})
	}
}

func TestEvaluateAllAcrossPolicies(t *testing.T) {
	allow := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}}`)
	deny := mustParse(t, `{"Statement":{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"*/DELETE/*"}}`)
	r := &Request{Action: ActionInvoke, Resource: strings.Replace(arnGetPets, "GET", "DELETE", 1)}
	if got := EvaluateAll([]*Policy{allow, deny}, r); got != ExplicitDeny {
		t.Errorf("EvaluateAll(allow, deny) = %v, want ExplicitDeny", got)
	}
	if got := EvaluateAll([]*Policy{allow}, r); got != Allow {
		t.Errorf("EvaluateAll(allow) = %v, want Allow", got)
	}
	if got := EvaluateAll(nil, r); got != ImplicitDeny {
		t.Errorf("EvaluateAll(nil) = %v, want ImplicitDeny", got)
	}
}

func TestMethodARN(t *testing.T) {
	if got := MethodARN("us-east-1", "123456789012", "abc123", "prod", "GET", "/pets"); got != arnGetPets {
		t.Errorf("MethodARN = %q, want %q", got, arnGetPets)
	}
}
