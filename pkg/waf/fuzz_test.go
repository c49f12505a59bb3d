package waf

import (
	"encoding/json"
	"net/netip"
	"os"
	"testing"
)

// FuzzWebACL decodes arbitrary JSON as a web ACL; Validate, Compile and Evaluate must not panic.
func FuzzWebACL(f *testing.F) {
	if data, err := os.ReadFile("testdata/create-web-acl.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"Name":"a","DefaultAction":{"Block":{}},"Rules":[{"Name":"r","Priority":1,"Action":{"Count":{}},"Statement":{"NotStatement":{"Statement":{"LabelMatchStatement":{"Scope":"NAMESPACE","Key":"x"}}}}}]}`))
	f.Add([]byte(`{"Name":"a","DefaultAction":{"Allow":{}},"Rules":[{"Name":"r","Priority":0,"Action":{"Block":{}},"Statement":{"RegexMatchStatement":{"RegexString":"a+","FieldToMatch":{"Body":{"OversizeHandling":"MATCH"}},"TextTransformations":[{"Priority":0,"Type":"HTML_ENTITY_DECODE"}]}}}]}`))
	f.Add([]byte(`{"Rules":[{"Statement":{"GeoMatchStatement":{"CountryCodes":["US"]}}}]}`))
	set := &IPSet{Name: "s", ARN: ipsetARN, IPAddressVersion: "IPV4", Addresses: []string{"192.0.2.0/24"}}
	req := &Request{
		Method: []byte("POST"), Path: []byte("/a%2Fb"), Query: []byte("a=1&b=%3Cx&&c"),
		Header:   headers("X-Forwarded-For", "192.0.2.1, 2001:db8::1", "User-Agent", "x"),
		SourceIP: netip.MustParseAddr("192.0.2.9"), Body: []byte("&lt;PHNjcmlwdD4=%u0041\x00"),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a WebACL
		if json.Unmarshal(data, &a) != nil {
			return
		}
		_ = a.IPSetARNs()
		_ = a.ComputeCapacity()
		verr := a.Validate()
		p, err := Compile(&a, map[string]*IPSet{ipsetARN: set})
		if verr != nil && err == nil {
			t.Fatalf("Compile accepted a web ACL Validate rejected: %v", verr)
		}
		if err != nil {
			return
		}
		p.Evaluate(req)
		p.Evaluate(&Request{})
	})
}

// FuzzEvaluate feeds arbitrary requests to a web ACL that uses every supported statement, field
// and transformation.
func FuzzEvaluate(f *testing.F) {
	f.Add("GET", "/admin", "q=1&id=%3Cscript", "192.0.2.1, ::1", "203.0.113.1", []byte("body"))
	f.Add("", "", "", "", "", []byte(nil))
	f.Add("POST", "/%u0041", "&&=&a", "junk", "2001:db8::1", []byte("&#x41;&amp;PHNj"))
	stmts := []Statement{
		byteStmt(uriPath, "admin", "CONTAINS_WORD", "URL_DECODE_UNI", "LOWERCASE"),
		regexStmt(allArgs, "<script", "URL_DECODE", "HTML_ENTITY_DECODE", "COMPRESS_WHITE_SPACE"),
		sizeStmt(FieldToMatch{Body: &Body{OversizeHandling: "MATCH"}}, "GT", 100, "BASE64_DECODE", "HEX_DECODE"),
		byteStmt(arg("id"), "x", "ENDS_WITH", "BASE64_DECODE_EXT", "REMOVE_NULLS", "REPLACE_NULLS", "TRIM"),
		byteStmt(header("User-Agent"), "bot", "STARTS_WITH", "CMD_LINE", "TRIM_LEFT", "TRIM_RIGHT", "REMOVE_WHITESPACE", "UPPERCASE"),
		labelStmt("NAMESPACE", "seen:"),
		Statement{IPSetReferenceStatement: &IPSetReferenceStatement{ARN: ipsetARN, IPSetForwardedIPConfig: &IPSetForwardedIPConfig{HeaderName: "X-Forwarded-For", FallbackBehavior: "MATCH", Position: "ANY"}}},
		Statement{IPSetReferenceStatement: &IPSetReferenceStatement{ARN: ipsetARN, IPSetForwardedIPConfig: &IPSetForwardedIPConfig{HeaderName: "X-Forwarded-For", FallbackBehavior: "NO_MATCH", Position: "LAST"}}},
		not(and(ipStmt(ipsetARN), byteStmt(method, "GET", "EXACTLY"))),
	}
	var rules []Rule
	for i, s := range stmts {
		rules = append(rules, rule("r"+string(rune('a'+i)), int64(i), s, count, "seen:r"))
	}
	p := compile(f, acl(rules...), ipset("IPV4", "192.0.2.0/24"))
	f.Fuzz(func(t *testing.T, method, path, query, xff, source string, body []byte) {
		src, _ := netip.ParseAddr(source)
		v := p.Evaluate(&Request{Method: []byte(method), Path: []byte(path), Query: []byte(query), Header: headers("X-Forwarded-For", xff, "User-Agent", path), SourceIP: src, Body: body})
		if v.Block {
			t.Fatalf("Evaluate blocked with only Count rules: %+v", v)
		}
	})
}
