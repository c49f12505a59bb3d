package waf

import (
	"net/netip"
	"strings"
	"testing"
)

var (
	uriPath  = FieldToMatch{UriPath: &struct{}{}}
	query    = FieldToMatch{QueryString: &struct{}{}}
	method   = FieldToMatch{Method: &struct{}{}}
	allArgs  = FieldToMatch{AllQueryArguments: &struct{}{}}
	bodyCont = FieldToMatch{Body: &Body{}}
)

func header(name string) FieldToMatch { return FieldToMatch{SingleHeader: &SingleHeader{Name: name}} }
func arg(name string) FieldToMatch {
	return FieldToMatch{SingleQueryArgument: &SingleQueryArgument{Name: name}}
}

func tts(types ...string) []TextTransformation {
	if len(types) == 0 {
		types = []string{"NONE"}
	}
	out := make([]TextTransformation, len(types))
	for i, t := range types {
		out[i] = TextTransformation{Priority: int64(i), Type: t}
	}
	return out
}

func byteStmt(f FieldToMatch, search, pos string, types ...string) Statement {
	return Statement{ByteMatchStatement: &ByteMatchStatement{SearchString: []byte(search), FieldToMatch: f, PositionalConstraint: pos, TextTransformations: tts(types...)}}
}

func regexStmt(f FieldToMatch, re string, types ...string) Statement {
	return Statement{RegexMatchStatement: &RegexMatchStatement{RegexString: re, FieldToMatch: f, TextTransformations: tts(types...)}}
}

func sizeStmt(f FieldToMatch, op string, size int64, types ...string) Statement {
	return Statement{SizeConstraintStatement: &SizeConstraintStatement{FieldToMatch: f, ComparisonOperator: op, Size: size, TextTransformations: tts(types...)}}
}

func ipStmt(arn string) Statement {
	return Statement{IPSetReferenceStatement: &IPSetReferenceStatement{ARN: arn}}
}

func and(s ...Statement) Statement { return Statement{AndStatement: &AndStatement{Statements: s}} }
func or(s ...Statement) Statement  { return Statement{OrStatement: &OrStatement{Statements: s}} }
func not(s Statement) Statement    { return Statement{NotStatement: &NotStatement{Statement: s}} }

func labelStmt(scope, key string) Statement {
	return Statement{LabelMatchStatement: &LabelMatchStatement{Scope: scope, Key: key}}
}

var (
	allow = &RuleAction{Allow: &AllowAction{}}
	block = &RuleAction{Block: &BlockAction{}}
	count = &RuleAction{Count: &CountAction{}}
)

func rule(name string, priority int64, s Statement, action *RuleAction, labels ...string) Rule {
	r := Rule{Name: name, Priority: priority, Statement: s, Action: action}
	for _, l := range labels {
		r.RuleLabels = append(r.RuleLabels, Label{Name: l})
	}
	return r
}

const testNamespace = "awswaf:111122223333:webacl:test-acl:"

func acl(rules ...Rule) *WebACL {
	return &WebACL{
		Name: "test-acl", Id: "id", ARN: "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/test-acl/id",
		DefaultAction: DefaultAction{Allow: &AllowAction{}}, Rules: rules, LabelNamespace: testNamespace,
	}
}

func compile(t testing.TB, a *WebACL, sets ...*IPSet) *Program {
	t.Helper()
	m := map[string]*IPSet{}
	for _, s := range sets {
		m[s.ARN] = s
	}
	p, err := Compile(a, m)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

// headers returns a case-insensitive lookup over name/value pairs.
func headers(kv ...string) func(string) []byte {
	return func(name string) []byte {
		for i := 0; i+1 < len(kv); i += 2 {
			if strings.EqualFold(kv[i], name) {
				return []byte(kv[i+1])
			}
		}
		return nil
	}
}

func get(path, rawQuery string, kv ...string) *Request {
	return &Request{Method: []byte("GET"), Path: []byte(path), Query: []byte(rawQuery), Header: headers(kv...), SourceIP: netip.MustParseAddr("198.51.100.7")}
}

const ipsetARN = "arn:aws:wafv2:us-east-1:111122223333:regional/ipset/blocked/1"

func ipset(version string, addrs ...string) *IPSet {
	return &IPSet{Name: "blocked", Id: "1", ARN: ipsetARN, IPAddressVersion: version, Addresses: addrs}
}
