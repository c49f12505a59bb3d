package waf

import (
	"net/netip"
	"testing"
)

// BenchmarkEvaluate runs ten rules that do not match a typical request.
func BenchmarkEvaluate(b *testing.B) {
	set := ipset("IPV4", "192.0.2.0/24", "203.0.113.0/28", "10.0.0.0/8")
	p := compile(b, acl(
		rule("ip", 0, ipStmt(ipsetARN), block),
		rule("admin", 1, byteStmt(uriPath, "/admin", "STARTS_WITH"), block),
		rule("php", 2, byteStmt(uriPath, ".php", "ENDS_WITH"), block),
		rule("traversal", 3, byteStmt(uriPath, "../", "CONTAINS"), block),
		rule("select", 4, byteStmt(query, "select", "CONTAINS_WORD"), block),
		rule("agent", 5, byteStmt(header("User-Agent"), "sqlmap", "CONTAINS"), block),
		rule("token", 6, regexStmt(arg("token"), `^[0-9a-f]{64}$`), block),
		rule("size", 7, sizeStmt(bodyCont, "GT", 4096), block),
		rule("delete", 8, and(byteStmt(method, "DELETE", "EXACTLY"), not(byteStmt(header("X-Role"), "admin", "EXACTLY"))), block),
		rule("script", 9, byteStmt(allArgs, "<script", "CONTAINS"), block),
	), set)
	r := &Request{
		Method: []byte("GET"), Path: []byte("/v1/pets/42"), Query: []byte("limit=10&sort=name&token=abc"),
		Header:   headers("User-Agent", "Mozilla/5.0", "Accept", "application/json"),
		SourceIP: netip.MustParseAddr("198.51.100.23"), Body: nil,
	}
	if p.Evaluate(r).Block {
		b.Fatal("the benchmark request is blocked")
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Evaluate(r)
	}
}
