package waf

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
)

func loadFixture(t testing.TB) *WebACL {
	t.Helper()
	data, err := os.ReadFile("testdata/create-web-acl.json")
	if err != nil {
		t.Fatal(err)
	}
	var a WebACL
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatalf("decoding the create-web-acl fixture: %v", err)
	}
	a.ARN, a.Id = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/api-protection/1", "1"
	a.LabelNamespace = "awswaf:111122223333:webacl:api-protection:"
	return &a
}

func TestCreateWebACLFixture(t *testing.T) {
	a := loadFixture(t)
	if err := a.Validate(); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	if got := string(a.Rules[1].Statement.AndStatement.Statements[0].ByteMatchStatement.SearchString); got != "/admin" {
		t.Errorf("SearchString = %q, want /admin (base64 decoded)", got)
	}
	badARN := "arn:aws:wafv2:us-east-1:111122223333:regional/ipset/bad-ips/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
	if got := a.IPSetARNs(); !reflect.DeepEqual(got, []string{badARN}) {
		t.Errorf("IPSetARNs = %q", got)
	}
	// ip 1 (xff fallback) + bytematch 2+20 + bytematch 2 + size 1 + regex 3+10+10 (all args) + label 1
	if got := a.ComputeCapacity(); got != 50 {
		t.Errorf("ComputeCapacity = %d, want 50", got)
	}

	set := &IPSet{Name: "bad-ips", ARN: badARN, IPAddressVersion: "IPV4", Addresses: []string{"192.0.2.0/24"}}
	p := compile(t, a, set)
	xff := func(r *Request) *Request {
		r.Header = headers("X-Forwarded-For", "198.51.100.1", "x-team", "external")
		return r
	}
	tests := []struct {
		name  string
		req   *Request
		block bool
		rule  string
	}{
		{"plain", xff(get("/pets", "")), false, ""},
		{"bad ip", get("/pets", "", "X-Forwarded-For", "192.0.2.1"), true, "block-bad-ips"},
		{"no xff falls back to match", get("/pets", ""), true, "block-bad-ips"},
		{"admin", xff(get("/%41dmin/x", "")), true, "admin-path"},
		{"admin internal", get("/admin", "", "X-Forwarded-For", "198.51.100.1", "X-Team", "internal"), false, ""},
		{"union select", xff(get("/pets", "q=1%20UNION%20%20select")), true, "sqlish-query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := p.Evaluate(tt.req)
			if v.Block != tt.block || v.Rule != tt.rule {
				t.Errorf("Evaluate = %+v, want block %v by %q", v, tt.block, tt.rule)
			}
		})
	}
	v := p.Evaluate(get("/pets", "", "X-Forwarded-For", "192.0.2.1"))
	if v.Custom == nil || v.Custom.Status != 403 || v.Custom.ContentType != "application/json" || string(v.Custom.Body) != `{"message":"Forbidden by WAF"}` {
		t.Errorf("Custom = %+v", v.Custom)
	}
	if !reflect.DeepEqual(v.Labels, []string{"awswaf:111122223333:webacl:api-protection:client:bad-ip"}) {
		t.Errorf("Labels = %q", v.Labels)
	}
	r := xff(get("/pets", ""))
	r.SourceIP = netip.MustParseAddr("192.0.2.1") // the header decides, not the peer
	r.Body = bytes.Repeat([]byte("x"), 5000)
	if v := p.Evaluate(r); v.Block || !reflect.DeepEqual(v.Counted, []string{"count-large-bodies"}) {
		t.Errorf("Evaluate(large body) = %+v, want allowed and counted", v)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	a := loadFixture(t)
	a.Capacity = a.ComputeCapacity()
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"SearchString":"L2FkbWlu"`)) {
		t.Errorf("Marshal does not carry SearchString as base64: %s", data)
	}
	var back WebACL
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, a) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", back, *a)
	}
}

func TestMarshalEmptyRules(t *testing.T) {
	data, err := json.Marshal(&WebACL{Name: "x", DefaultAction: DefaultAction{Block: &BlockAction{}}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{`"Rules":[]`, `"DefaultAction":{"Block":{}}`, `"Capacity":0`, `"ManagedByFirewallManager":false`} {
		if !strings.Contains(s, want) {
			t.Errorf("Marshal = %s, want it to contain %s", s, want)
		}
	}
	if strings.Count(s, `"Rules"`) != 1 {
		t.Errorf("Marshal = %s, want one Rules member", s)
	}
}
