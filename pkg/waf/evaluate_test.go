package waf

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestStatements(t *testing.T) {
	big := strings.Repeat("a", BodyInspectionLimit) + "EVIL"
	tests := []struct {
		name string
		stmt Statement
		req  *Request
		want bool
	}{
		{"exactly match", byteStmt(uriPath, "/admin", "EXACTLY"), get("/admin", ""), true},
		{"exactly longer", byteStmt(uriPath, "/admin", "EXACTLY"), get("/admin/x", ""), false},
		{"starts with", byteStmt(uriPath, "/admin", "STARTS_WITH"), get("/admin/x", ""), true},
		{"starts with miss", byteStmt(uriPath, "/admin", "STARTS_WITH"), get("/x/admin", ""), false},
		{"ends with", byteStmt(uriPath, ".php", "ENDS_WITH"), get("/index.php", ""), true},
		{"ends with miss", byteStmt(uriPath, ".php", "ENDS_WITH"), get("/index.php/x", ""), false},
		{"contains", byteStmt(uriPath, "etc", "CONTAINS"), get("/a/etc/passwd", ""), true},
		{"contains is case-sensitive", byteStmt(uriPath, "etc", "CONTAINS"), get("/a/ETC/passwd", ""), false},
		{"contains with lowercase", byteStmt(uriPath, "etc", "CONTAINS", "LOWERCASE"), get("/a/ETC/passwd", ""), true},
		{"contains word", byteStmt(query, "select", "CONTAINS_WORD"), get("/", "q=select+1"), true},
		{"contains word at end", byteStmt(query, "select", "CONTAINS_WORD"), get("/", "q=1-select"), true},
		{"contains word inside a word", byteStmt(query, "select", "CONTAINS_WORD"), get("/", "q=selected"), false},
		{"contains word second occurrence", byteStmt(query, "select", "CONTAINS_WORD"), get("/", "q=selected&r=select"), true},
		{"contains word underscore joins", byteStmt(query, "select", "CONTAINS_WORD"), get("/", "q=_select"), false},
		{"method", byteStmt(method, "DELETE", "EXACTLY"), &Request{Method: []byte("DELETE")}, true},
		{"query string raw", byteStmt(query, "a=%3C", "CONTAINS"), get("/", "a=%3Cscript"), true},
		{"header case-insensitive name", byteStmt(header("User-Agent"), "curl", "STARTS_WITH"), get("/", "", "user-agent", "curl/8"), true},
		{"header absent", byteStmt(header("User-Agent"), "curl", "STARTS_WITH"), get("/", ""), false},
		{"header absent nil lookup", byteStmt(header("User-Agent"), "curl", "STARTS_WITH"), &Request{}, false},
		{"single arg", byteStmt(arg("ID"), "1", "EXACTLY"), get("/", "x=2&id=1"), true},
		{"single arg other arg", byteStmt(arg("id"), "1", "EXACTLY"), get("/", "x=1"), false},
		{"single arg every occurrence", byteStmt(arg("id"), "1", "EXACTLY"), get("/", "id=2&id=1"), true},
		{"single arg raw value", byteStmt(arg("q"), "<", "CONTAINS"), get("/", "q=%3C"), false},
		{"single arg url decoded", byteStmt(arg("q"), "<", "CONTAINS", "URL_DECODE"), get("/", "q=%3C"), true},
		{"all args any value", byteStmt(allArgs, "evil", "EXACTLY"), get("/", "a=1&&b=evil&c"), true},
		{"all args no value", byteStmt(allArgs, "evil", "EXACTLY"), get("/", "evil"), false},
		{"body", byteStmt(bodyCont, "EVIL", "CONTAINS"), &Request{Body: []byte("xxEVILxx")}, true},
		{"body beyond limit continue", byteStmt(bodyCont, "EVIL", "CONTAINS"), &Request{Body: []byte(big)}, false},
		{"body oversize match", byteStmt(FieldToMatch{Body: &Body{OversizeHandling: "MATCH"}}, "nothing", "CONTAINS"), &Request{Body: []byte(big)}, true},
		{"body oversize no match", byteStmt(FieldToMatch{Body: &Body{OversizeHandling: "NO_MATCH"}}, "a", "CONTAINS"), &Request{Body: []byte(big)}, false},
		{"body at limit inspected", byteStmt(FieldToMatch{Body: &Body{OversizeHandling: "NO_MATCH"}}, "a", "CONTAINS"), &Request{Body: []byte(big[:BodyInspectionLimit])}, true},
		{"regex", regexStmt(uriPath, `^/v[0-9]+/`), get("/v2/pets", ""), true},
		{"regex miss", regexStmt(uriPath, `^/v[0-9]+/`), get("/pets", ""), false},
		{"regex after transformation", regexStmt(arg("q"), `<script`, "URL_DECODE", "LOWERCASE"), get("/", "q=%3CSCRIPT%3E"), true},
		{"size eq", sizeStmt(query, "EQ", 3), get("/", "a=1"), true},
		{"size ne", sizeStmt(query, "NE", 3), get("/", "a=1"), false},
		{"size le", sizeStmt(query, "LE", 3), get("/", "a=1"), true},
		{"size lt", sizeStmt(query, "LT", 3), get("/", "a=1"), false},
		{"size ge", sizeStmt(query, "GE", 3), get("/", "a=1"), true},
		{"size gt", sizeStmt(query, "GT", 2), get("/", "a=1"), true},
		{"size empty query", sizeStmt(query, "EQ", 0), get("/", ""), true},
		{"size after decode", sizeStmt(query, "EQ", 1), get("/", "%41"), false},
		{"size after url decode", sizeStmt(query, "EQ", 1, "URL_DECODE"), get("/", "%41"), true},
		{"size body oversize continue", sizeStmt(bodyCont, "GT", BodyInspectionLimit), &Request{Body: []byte(big)}, false},
		{"size body oversize match", sizeStmt(FieldToMatch{Body: &Body{OversizeHandling: "MATCH"}}, "GT", BodyInspectionLimit), &Request{Body: []byte(big)}, true},
		{"and both", and(byteStmt(method, "POST", "EXACTLY"), byteStmt(uriPath, "/login", "EXACTLY")), &Request{Method: []byte("POST"), Path: []byte("/login")}, true},
		{"and one", and(byteStmt(method, "POST", "EXACTLY"), byteStmt(uriPath, "/login", "EXACTLY")), &Request{Method: []byte("GET"), Path: []byte("/login")}, false},
		{"or one", or(byteStmt(method, "POST", "EXACTLY"), byteStmt(uriPath, "/login", "EXACTLY")), &Request{Method: []byte("GET"), Path: []byte("/login")}, true},
		{"or none", or(byteStmt(method, "POST", "EXACTLY"), byteStmt(uriPath, "/login", "EXACTLY")), &Request{Method: []byte("GET"), Path: []byte("/")}, false},
		{"not", not(byteStmt(method, "GET", "EXACTLY")), &Request{Method: []byte("PUT")}, true},
		{"not absent header", not(byteStmt(header("X-Api-Key"), "k", "EXACTLY")), get("/", ""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compile(t, acl(rule("r", 0, tt.stmt, block)))
			if got := p.Evaluate(tt.req).Block; got != tt.want {
				t.Errorf("Evaluate(%s).Block = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestIPSets(t *testing.T) {
	v4 := ipset("IPV4", "192.0.2.0/24", "203.0.113.9/32", "10.0.0.0/8")
	v6 := ipset("IPV6", "2001:db8::/32", "2001:db8:1::1/128")
	xff := func(fallback, position string) Statement {
		return Statement{IPSetReferenceStatement: &IPSetReferenceStatement{ARN: ipsetARN, IPSetForwardedIPConfig: &IPSetForwardedIPConfig{HeaderName: "X-Forwarded-For", FallbackBehavior: fallback, Position: position}}}
	}
	from := func(addr string, kv ...string) *Request {
		r := get("/", "", kv...)
		r.SourceIP = netip.MustParseAddr(addr)
		return r
	}
	tests := []struct {
		name string
		set  *IPSet
		stmt Statement
		req  *Request
		want bool
	}{
		{"v4 in /24", v4, ipStmt(ipsetARN), from("192.0.2.200"), true},
		{"v4 in /32", v4, ipStmt(ipsetARN), from("203.0.113.9"), true},
		{"v4 next to /32", v4, ipStmt(ipsetARN), from("203.0.113.10"), false},
		{"v4 in /8", v4, ipStmt(ipsetARN), from("10.200.1.1"), true},
		{"v4 mapped", v4, ipStmt(ipsetARN), from("::ffff:192.0.2.1"), true},
		{"v4 set, v6 client", v4, ipStmt(ipsetARN), from("2001:db8::1"), false},
		{"v6 in /32", v6, ipStmt(ipsetARN), from("2001:db8:ffff::1"), true},
		{"v6 /128", v6, ipStmt(ipsetARN), from("2001:db8:1::1"), true},
		{"v6 outside", v6, ipStmt(ipsetARN), from("2001:db9::1"), false},
		{"v6 set, v4 client", v6, ipStmt(ipsetARN), from("192.0.2.1"), false},
		{"invalid source", v4, ipStmt(ipsetARN), &Request{}, false},
		{"xff first", v4, xff("NO_MATCH", "FIRST"), from("198.51.100.1", "X-Forwarded-For", "192.0.2.5, 198.51.100.2"), true},
		{"xff first miss", v4, xff("NO_MATCH", "FIRST"), from("192.0.2.1", "X-Forwarded-For", "198.51.100.2, 192.0.2.5"), false},
		{"xff last", v4, xff("NO_MATCH", "LAST"), from("198.51.100.1", "X-Forwarded-For", "198.51.100.2, 192.0.2.5"), true},
		{"xff any", v4, xff("NO_MATCH", "ANY"), from("198.51.100.1", "X-Forwarded-For", "198.51.100.2, 192.0.2.5, 198.51.100.3"), true},
		{"xff any miss", v4, xff("MATCH", "ANY"), from("198.51.100.1", "X-Forwarded-For", "198.51.100.2, junk"), false},
		{"xff any only the last 10", v4, xff("NO_MATCH", "ANY"), from("198.51.100.1", "X-Forwarded-For", "192.0.2.1"+strings.Repeat(",198.51.100.1", MaxForwardedIPs)), false},
		{"xff any all invalid falls back", v4, xff("MATCH", "ANY"), from("198.51.100.1", "X-Forwarded-For", "junk, more"), true},
		{"xff absent fallback match", v4, xff("MATCH", "FIRST"), from("198.51.100.1"), true},
		{"xff absent fallback no match", v4, xff("NO_MATCH", "FIRST"), from("192.0.2.1"), false},
		{"xff invalid fallback match", v4, xff("MATCH", "LAST"), from("198.51.100.1", "X-Forwarded-For", "192.0.2.1, nope"), true},
		{"xff v6", v6, xff("NO_MATCH", "FIRST"), from("192.0.2.1", "x-forwarded-for", "2001:db8::5"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compile(t, acl(rule("r", 0, tt.stmt, block)), tt.set)
			if got := p.Evaluate(tt.req).Block; got != tt.want {
				t.Errorf("Evaluate(%s).Block = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestCompileMissingIPSet(t *testing.T) {
	_, err := Compile(acl(rule("r", 0, ipStmt(ipsetARN), block)), nil)
	if err == nil || !strings.Contains(err.Error(), ipsetARN) {
		t.Fatalf("Compile = %v, want an error naming %s", err, ipsetARN)
	}
}

func TestOrderAndActions(t *testing.T) {
	isGet := byteStmt(method, "GET", "EXACTLY")
	isAdmin := byteStmt(uriPath, "/admin", "STARTS_WITH")
	tests := []struct {
		name string
		acl  *WebACL
		req  *Request
		want Verdict
	}{
		{"default allow", acl(rule("b", 1, isAdmin, block)), get("/", ""), Verdict{}},
		{"block", acl(rule("b", 1, isAdmin, block)), get("/admin", ""), Verdict{Block: true, Rule: "b"}},
		{"lower priority first, listed last", acl(rule("b", 2, isAdmin, block), rule("a", 1, isGet, allow)), get("/admin", ""), Verdict{Rule: "a"}},
		{"block before allow", acl(rule("b", 1, isAdmin, block), rule("a", 2, isGet, allow)), get("/admin", ""), Verdict{Block: true, Rule: "b"}},
		{"count continues", acl(rule("c", 0, isGet, count), rule("b", 1, isAdmin, block)), get("/admin", ""), Verdict{Block: true, Rule: "b", Counted: []string{"c"}}},
		{"count then default", acl(rule("c", 0, isGet, count), rule("d", 1, isAdmin, count)), get("/admin", ""), Verdict{Counted: []string{"c", "d"}}},
		{"default block", func() *WebACL {
			a := acl(rule("a", 1, isAdmin, allow))
			a.DefaultAction = DefaultAction{Block: &BlockAction{}}
			return a
		}(), get("/", ""), Verdict{Block: true}},
		{"default block allow rule", func() *WebACL {
			a := acl(rule("a", 1, isAdmin, allow))
			a.DefaultAction = DefaultAction{Block: &BlockAction{}}
			return a
		}(), get("/admin", ""), Verdict{Rule: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compile(t, tt.acl).Evaluate(tt.req); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Evaluate = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	isGet := byteStmt(method, "GET", "EXACTLY")
	tests := []struct {
		name      string
		labels    []string
		stmt      Statement
		wantBlock bool
	}{
		{"local label", []string{"header:encoding:utf8"}, labelStmt("LABEL", "header:encoding:utf8"), true},
		{"local label under namespaces", []string{"ns1:ns2:header:encoding:utf8"}, labelStmt("LABEL", "header:encoding:utf8"), true},
		{"local label name only", []string{"ns1:bad"}, labelStmt("LABEL", "bad"), true},
		{"label not a component suffix", []string{"ns1:notbad"}, labelStmt("LABEL", "bad"), false},
		{"label differs", []string{"header:encoding2:utf8"}, labelStmt("LABEL", "header:encoding:utf8"), false},
		{"fully qualified", []string{"x:y"}, labelStmt("LABEL", testNamespace+"x:y"), true},
		{"fully qualified other context", []string{"x:y"}, labelStmt("LABEL", "awswaf:111122223333:rulegroup:other:x:y"), false},
		{"namespace", []string{"bots:scraper"}, labelStmt("NAMESPACE", "bots:"), true},
		{"namespace without colon", []string{"bots:scraper"}, labelStmt("NAMESPACE", "bots"), true},
		{"namespace inner", []string{"a:bots:scraper"}, labelStmt("NAMESPACE", "bots:"), true},
		{"namespace is not the name", []string{"a:bots"}, labelStmt("NAMESPACE", "bots:"), false},
		{"namespace fully qualified", []string{"bots:scraper"}, labelStmt("NAMESPACE", testNamespace+"bots:"), true},
		{"no label", nil, labelStmt("LABEL", "x"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compile(t, acl(rule("tag", 0, isGet, count, tt.labels...), rule("match", 1, tt.stmt, block)))
			v := p.Evaluate(get("/", ""))
			if v.Block != tt.wantBlock {
				t.Errorf("Evaluate().Block = %v, want %v (labels %q)", v.Block, tt.wantBlock, v.Labels)
			}
			for i, l := range tt.labels {
				if v.Labels[i] != testNamespace+l {
					t.Errorf("label %d = %q, want %q", i, v.Labels[i], testNamespace+l)
				}
			}
		})
	}
}

func TestLabelsOnlyFromEarlierRules(t *testing.T) {
	isGet := byteStmt(method, "GET", "EXACTLY")
	p := compile(t, acl(rule("match", 0, labelStmt("LABEL", "late"), block), rule("tag", 1, isGet, count, "late")))
	if v := p.Evaluate(get("/", "")); v.Block || !reflect.DeepEqual(v.Labels, []string{testNamespace + "late"}) {
		t.Errorf("Evaluate = %+v, want allowed with label late", v)
	}
}

func TestCustomResponse(t *testing.T) {
	a := acl(rule("b", 0, byteStmt(uriPath, "/x", "EXACTLY"), &RuleAction{Block: &BlockAction{CustomResponse: &CustomResponse{
		ResponseCode: 429, CustomResponseBodyKey: "slow", ResponseHeaders: []CustomHTTPHeader{{Name: "Retry-After", Value: "5"}},
	}}}))
	a.CustomResponseBodies = map[string]CustomResponseBody{"slow": {ContentType: "APPLICATION_JSON", Content: `{"message":"slow down"}`}}
	a.DefaultAction = DefaultAction{Block: &BlockAction{CustomResponse: &CustomResponse{ResponseCode: 404}}}
	p := compile(t, a)
	v := p.Evaluate(get("/x", ""))
	want := &Response{Status: 429, Headers: [][2]string{{"Retry-After", "5"}}, ContentType: "application/json", Body: []byte(`{"message":"slow down"}`)}
	if !v.Block || !reflect.DeepEqual(v.Custom, want) {
		t.Errorf("Evaluate(/x) = %+v, want block with %+v", v, want)
	}
	v = p.Evaluate(get("/y", ""))
	if !v.Block || v.Custom == nil || v.Custom.Status != 404 || v.Custom.Body != nil {
		t.Errorf("Evaluate(/y) = %+v, want the default block with 404", v)
	}
}

func TestConcurrentEvaluate(t *testing.T) {
	p := compile(t, acl(rule("b", 0, byteStmt(arg("q"), "<script", "CONTAINS", "URL_DECODE", "LOWERCASE"), block)))
	done := make(chan bool)
	for i := range 8 {
		go func() {
			ok := true
			for j := range 200 {
				bad := (i+j)%2 == 0
				q := "q=hello"
				if bad {
					q = "q=%3CScRiPt%3E"
				}
				ok = ok && p.Evaluate(get("/", q)).Block == bad
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("a concurrent Evaluate gave a wrong verdict")
		}
	}
}
