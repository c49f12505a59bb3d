package waf

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestValidateWebACL(t *testing.T) {
	ok := byteStmt(uriPath, "/x", "EXACTLY")
	raw := json.RawMessage(`{}`)
	deep := ok
	for range MaxDepth {
		deep = not(deep)
	}
	tooMany := make([]Rule, MaxRules+1)
	for i := range tooMany {
		tooMany[i] = rule("r"+strings.Repeat("x", i), int64(i), ok, block)
	}
	tests := []struct {
		name   string
		mutate func(a *WebACL)
		field  string
		reason string
	}{
		{"bad name", func(a *WebACL) { a.Name = "no spaces" }, "WEB_ACL", "name"},
		{"no default action", func(a *WebACL) { a.DefaultAction = DefaultAction{} }, "DEFAULT_ACTION", "exactly one"},
		{"two default actions", func(a *WebACL) { a.DefaultAction.Block = &BlockAction{} }, "DEFAULT_ACTION", "exactly one"},
		{"duplicate priority", func(a *WebACL) { a.Rules = append(a.Rules, rule("other", 0, ok, block)) }, "RULE", "priorities must be unique"},
		{"duplicate name", func(a *WebACL) { a.Rules = append(a.Rules, rule("r", 1, ok, block)) }, "RULE", "names must be unique"},
		{"negative priority", func(a *WebACL) { a.Rules[0].Priority = -1 }, "RULE", "0 or more"},
		{"too many rules", func(a *WebACL) { a.Rules = tooMany }, "ENTITY_LIMIT", "at most 100 rules"},
		{"no action", func(a *WebACL) { a.Rules[0].Action = nil }, "RULE_ACTION", "needs an Action"},
		{"two actions", func(a *WebACL) { a.Rules[0].Action = &RuleAction{Allow: &AllowAction{}, Block: &BlockAction{}} }, "RULE_ACTION", "exactly one"},
		{"captcha", func(a *WebACL) { a.Rules[0].Action = &RuleAction{Captcha: &raw} }, "RULE_ACTION", "Captcha action is not supported by Portico"},
		{"challenge", func(a *WebACL) { a.Rules[0].Action = &RuleAction{Challenge: &raw} }, "RULE_ACTION", "Challenge action is not supported"},
		{"override action", func(a *WebACL) { a.Rules[0].OverrideAction = &raw }, "OVERRIDE_ACTION", "rule group"},
		{"request handling", func(a *WebACL) { a.Rules[0].Action = &RuleAction{Count: &CountAction{CustomRequestHandling: &raw}} }, "CUSTOM_REQUEST_HANDLING", "not supported"},
		{"empty statement", func(a *WebACL) { a.Rules[0].Statement = Statement{} }, "STATEMENT", "exactly one statement type"},
		{"two statements", func(a *WebACL) {
			a.Rules[0].Statement.LabelMatchStatement = &LabelMatchStatement{Scope: "LABEL", Key: "x"}
		}, "STATEMENT", "exactly one statement type"},
		{"rate based", func(a *WebACL) { a.Rules[0].Statement = Statement{RateBasedStatement: &raw} }, "RATE_BASED_STATEMENT", "RateBasedStatement is not supported by Portico"},
		{"sqli", func(a *WebACL) { a.Rules[0].Statement = Statement{SqliMatchStatement: &raw} }, "SQLI_MATCH_STATEMENT", "SqliMatchStatement is not supported by Portico"},
		{"managed rule group", func(a *WebACL) { a.Rules[0].Statement = Statement{ManagedRuleGroupStatement: &raw} }, "MANAGED_RULE_SET_STATEMENT", "ManagedRuleGroupStatement is not supported"},
		{"asn", func(a *WebACL) { a.Rules[0].Statement = Statement{AsnMatchStatement: &raw} }, "STATEMENT", "AsnMatchStatement is not supported"},
		{"geo", func(a *WebACL) {
			a.Rules[0].Statement = Statement{GeoMatchStatement: &GeoMatchStatement{CountryCodes: []string{"US"}}}
		}, "GEO_MATCH_STATEMENT", "geolocation"},
		{"nested unsupported", func(a *WebACL) { a.Rules[0].Statement = and(ok, not(Statement{XssMatchStatement: &raw})) }, "XSS_MATCH_STATEMENT", "not supported"},
		{"and with one", func(a *WebACL) { a.Rules[0].Statement = and(ok) }, "AND_STATEMENT", "2 to"},
		{"or with one", func(a *WebACL) { a.Rules[0].Statement = or(ok) }, "OR_STATEMENT", "2 to"},
		{"too deep", func(a *WebACL) { a.Rules[0].Statement = deep }, "STATEMENT", "nested at most 20"},
		{"empty search string", func(a *WebACL) { a.Rules[0].Statement = byteStmt(uriPath, "", "EXACTLY") }, "BYTE_MATCH_STATEMENT", "SearchString"},
		{"long search string", func(a *WebACL) { a.Rules[0].Statement = byteStmt(uriPath, strings.Repeat("a", 201), "EXACTLY") }, "BYTE_MATCH_STATEMENT", "1 to 200"},
		{"bad positional constraint", func(a *WebACL) { a.Rules[0].Statement = byteStmt(uriPath, "x", "SOMEWHERE") }, "POSITIONAL_CONSTRAINT", "PositionalConstraint"},
		{"contains word non-word", func(a *WebACL) { a.Rules[0].Statement = byteStmt(uriPath, "a b", "CONTAINS_WORD") }, "BYTE_MATCH_STATEMENT", "CONTAINS_WORD"},
		{"no field", func(a *WebACL) { a.Rules[0].Statement = byteStmt(FieldToMatch{}, "x", "EXACTLY") }, "FIELD_TO_MATCH", "exactly one"},
		{"two fields", func(a *WebACL) {
			a.Rules[0].Statement = byteStmt(FieldToMatch{UriPath: &struct{}{}, Method: &struct{}{}}, "x", "EXACTLY")
		}, "FIELD_TO_MATCH", "exactly one"},
		{"cookies", func(a *WebACL) { a.Rules[0].Statement = byteStmt(FieldToMatch{Cookies: &raw}, "x", "EXACTLY") }, "FIELD_TO_MATCH", "Cookies is not supported"},
		{"json body", func(a *WebACL) { a.Rules[0].Statement = byteStmt(FieldToMatch{JsonBody: &raw}, "x", "EXACTLY") }, "FIELD_TO_MATCH", "JsonBody is not supported"},
		{"ja3", func(a *WebACL) { a.Rules[0].Statement = byteStmt(FieldToMatch{JA3Fingerprint: &raw}, "x", "EXACTLY") }, "FIELD_TO_MATCH", "JA3Fingerprint is not supported"},
		{"bad header name", func(a *WebACL) { a.Rules[0].Statement = byteStmt(header("a b"), "x", "EXACTLY") }, "SINGLE_HEADER", "token"},
		{"empty arg name", func(a *WebACL) { a.Rules[0].Statement = byteStmt(arg(""), "x", "EXACTLY") }, "SINGLE_QUERY_ARGUMENT", "1 to 64"},
		{"bad oversize", func(a *WebACL) {
			a.Rules[0].Statement = byteStmt(FieldToMatch{Body: &Body{OversizeHandling: "MAYBE"}}, "x", "EXACTLY")
		}, "OVERSIZE_HANDLING", "OversizeHandling"},
		{"no transformation", func(a *WebACL) { a.Rules[0].Statement.ByteMatchStatement.TextTransformations = nil }, "TEXT_TRANSFORMATION", "1 to 10"},
		{"duplicate transformation priority", func(a *WebACL) {
			a.Rules[0].Statement.ByteMatchStatement.TextTransformations = []TextTransformation{{0, "NONE"}, {0, "LOWERCASE"}}
		}, "TEXT_TRANSFORMATION", "unique"},
		{"unsupported transformation", func(a *WebACL) { a.Rules[0].Statement = byteStmt(uriPath, "x", "EXACTLY", "SQL_HEX_DECODE") }, "TEXT_TRANSFORMATION", "SQL_HEX_DECODE is not supported by Portico"},
		{"unknown transformation", func(a *WebACL) { a.Rules[0].Statement = byteStmt(uriPath, "x", "EXACTLY", "ROT13") }, "TEXT_TRANSFORMATION", "Unknown"},
		{"bad regex", func(a *WebACL) { a.Rules[0].Statement = regexStmt(uriPath, "(") }, "STATEMENT", "not a valid regular expression"},
		{"long regex", func(a *WebACL) { a.Rules[0].Statement = regexStmt(uriPath, strings.Repeat("a", 513)) }, "STATEMENT", "1 to 512"},
		{"bad operator", func(a *WebACL) { a.Rules[0].Statement = sizeStmt(uriPath, "ABOUT", 1) }, "SIZE_CONSTRAINT_STATEMENT", "ComparisonOperator"},
		{"negative size", func(a *WebACL) { a.Rules[0].Statement = sizeStmt(uriPath, "EQ", -1) }, "SIZE_CONSTRAINT_STATEMENT", "Size"},
		{"bad ipset arn", func(a *WebACL) { a.Rules[0].Statement = ipStmt("bad") }, "RESOURCE_ARN", "ARN"},
		{"bad forwarded header", func(a *WebACL) {
			a.Rules[0].Statement = Statement{IPSetReferenceStatement: &IPSetReferenceStatement{ARN: ipsetARN, IPSetForwardedIPConfig: &IPSetForwardedIPConfig{HeaderName: "X_F", FallbackBehavior: "MATCH", Position: "FIRST"}}}
		}, "HEADER_NAME", "HeaderName"},
		{"bad fallback", func(a *WebACL) {
			a.Rules[0].Statement = Statement{IPSetReferenceStatement: &IPSetReferenceStatement{ARN: ipsetARN, IPSetForwardedIPConfig: &IPSetForwardedIPConfig{HeaderName: "X-F", FallbackBehavior: "PASS", Position: "FIRST"}}}
		}, "FALLBACK_BEHAVIOR", "FallbackBehavior"},
		{"bad position", func(a *WebACL) {
			a.Rules[0].Statement = Statement{IPSetReferenceStatement: &IPSetReferenceStatement{ARN: ipsetARN, IPSetForwardedIPConfig: &IPSetForwardedIPConfig{HeaderName: "X-F", FallbackBehavior: "MATCH", Position: "MIDDLE"}}}
		}, "POSITION", "Position"},
		{"bad label scope", func(a *WebACL) { a.Rules[0].Statement = labelStmt("ALL", "x") }, "LABEL_MATCH_STATEMENT", "Scope"},
		{"bad label key", func(a *WebACL) { a.Rules[0].Statement = labelStmt("LABEL", "a b") }, "LABEL_MATCH_STATEMENT", "Key"},
		{"bad rule label", func(a *WebACL) { a.Rules[0].RuleLabels = []Label{{Name: "a/b"}} }, "RULE", "rule label"},
		{"bad metric name", func(a *WebACL) { a.VisibilityConfig = &VisibilityConfig{MetricName: "a b"} }, "METRIC_NAME", "MetricName"},
		{"custom response code", func(a *WebACL) {
			a.Rules[0].Action = &RuleAction{Block: &BlockAction{CustomResponse: &CustomResponse{ResponseCode: 199}}}
		}, "CUSTOM_RESPONSE", "200 and 599"},
		{"custom response missing body", func(a *WebACL) {
			a.Rules[0].Action = &RuleAction{Block: &BlockAction{CustomResponse: &CustomResponse{ResponseCode: 403, CustomResponseBodyKey: "nope"}}}
		}, "CUSTOM_RESPONSE", "CustomResponseBodyKey"},
		{"custom response header", func(a *WebACL) {
			a.DefaultAction = DefaultAction{Block: &BlockAction{CustomResponse: &CustomResponse{ResponseCode: 403, ResponseHeaders: []CustomHTTPHeader{{Name: "Bad Header", Value: "x"}}}}}
		}, "CUSTOM_RESPONSE", "token"},
		{"custom response header value", func(a *WebACL) {
			a.DefaultAction = DefaultAction{Block: &BlockAction{CustomResponse: &CustomResponse{ResponseCode: 403, ResponseHeaders: []CustomHTTPHeader{{Name: "X", Value: "a\r\nb"}}}}}
		}, "CUSTOM_RESPONSE", "CR, LF"},
		{"body content type", func(a *WebACL) {
			a.CustomResponseBodies = map[string]CustomResponseBody{"k": {ContentType: "TEXT_XML", Content: "x"}}
		}, "RESPONSE_CONTENT_TYPE", "ContentType"},
		{"body too large", func(a *WebACL) {
			a.CustomResponseBodies = map[string]CustomResponseBody{"k": {ContentType: "TEXT_PLAIN", Content: strings.Repeat("x", MaxCustomBodyLen+1)}}
		}, "CUSTOM_RESPONSE_BODY", "4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := acl(rule("r", 0, byteStmt(uriPath, "/x", "EXACTLY"), block))
			tt.mutate(a)
			err := a.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			if ve.Field != tt.field || !strings.Contains(ve.Reason, tt.reason) {
				t.Errorf("Validate() = %v, want field %s and a reason containing %q", ve, tt.field, tt.reason)
			}
			if _, err := Compile(a, nil); err == nil {
				t.Error("Compile accepted what Validate rejects")
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	a := acl(rule("r", 0, and(byteStmt(uriPath, "x", "CONTAINS_WORD"), or(labelStmt("NAMESPACE", "a:"), not(sizeStmt(bodyCont, "GT", 10)))), block))
	a.VisibilityConfig = &VisibilityConfig{MetricName: "acl-metric"}
	a.CustomResponseBodies = map[string]CustomResponseBody{"k": {ContentType: "TEXT_HTML", Content: "<p>no</p>"}}
	a.DefaultAction = DefaultAction{Block: &BlockAction{CustomResponse: &CustomResponse{ResponseCode: 451, CustomResponseBodyKey: "k"}}}
	if err := a.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	e := &ValidationError{Field: "RULE", Parameter: "r1", Reason: "Rule names must be unique within a web ACL"}
	want := "Error reason: Rule names must be unique within a web ACL, field: RULE, parameter: r1"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestValidateIPSet(t *testing.T) {
	many := make([]string, MaxIPSetAddresses+1)
	for i := range many {
		many[i] = "10.0.0.1/32"
	}
	tests := []struct {
		name  string
		set   *IPSet
		field string // "" when valid
	}{
		{"v4", ipset("IPV4", "192.0.2.0/24", "10.0.0.1/32", "10.0.0.5/24"), ""},
		{"v6", ipset("IPV6", "2001:db8::/32", "::ffff:192.0.2.1/128"), ""},
		{"empty", ipset("IPV4"), ""},
		{"no mask", ipset("IPV4", "10.0.0.1"), "IP_ADDRESS"},
		{"garbage", ipset("IPV4", "ten/8"), "IP_ADDRESS"},
		{"v6 in v4 set", ipset("IPV4", "2001:db8::/32"), "IP_ADDRESS"},
		{"v4 in v6 set", ipset("IPV6", "192.0.2.0/24"), "IP_ADDRESS"},
		{"slash zero", ipset("IPV4", "0.0.0.0/0"), "IP_ADDRESS"},
		{"bad version", ipset("IPV5", "192.0.2.0/24"), "IP_ADDRESS_VERSION"},
		{"bad name", &IPSet{Name: "a b", IPAddressVersion: "IPV4"}, "IP_SET"},
		{"too many", ipset("IPV4", many...), "ENTITY_LIMIT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.set.Validate()
			var ve *ValidationError
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.field != "" && (!errors.As(err, &ve) || ve.Field != tt.field):
				t.Errorf("Validate() = %v, want field %s", err, tt.field)
			}
		})
	}
}

func TestIPSetARNs(t *testing.T) {
	a := acl(
		rule("a", 0, or(ipStmt("arn:aws:wafv2:x:1:regional/ipset/b/2"), not(ipStmt("arn:aws:wafv2:x:1:regional/ipset/a/1"))), block),
		rule("b", 1, ipStmt("arn:aws:wafv2:x:1:regional/ipset/b/2"), block),
	)
	got := a.IPSetARNs()
	want := []string{"arn:aws:wafv2:x:1:regional/ipset/a/1", "arn:aws:wafv2:x:1:regional/ipset/b/2"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("IPSetARNs() = %q, want %q", got, want)
	}
	if got := acl().IPSetARNs(); len(got) != 0 {
		t.Errorf("IPSetARNs() of no rules = %q", got)
	}
}

func TestComputeCapacity(t *testing.T) {
	tests := []struct {
		name string
		stmt Statement
		want int64
	}{
		{"exactly", byteStmt(uriPath, "x", "EXACTLY"), 2},
		{"starts with", byteStmt(uriPath, "x", "STARTS_WITH"), 2},
		{"ends with", byteStmt(uriPath, "x", "ENDS_WITH"), 2},
		{"contains", byteStmt(uriPath, "x", "CONTAINS"), 10},
		{"contains word", byteStmt(uriPath, "x", "CONTAINS_WORD"), 10},
		{"transformations", byteStmt(uriPath, "x", "EXACTLY", "NONE", "LOWERCASE", "URL_DECODE"), 22},
		{"all query arguments", byteStmt(allArgs, "x", "EXACTLY"), 12},
		{"regex", regexStmt(uriPath, "x"), 3},
		{"size", sizeStmt(uriPath, "EQ", 1), 1},
		{"ipset", ipStmt(ipsetARN), 1},
		{"label", labelStmt("LABEL", "x"), 1},
		{"geo", Statement{GeoMatchStatement: &GeoMatchStatement{}}, 1},
		{"logical sums", and(ipStmt(ipsetARN), or(regexStmt(uriPath, "x"), not(sizeStmt(uriPath, "EQ", 1)))), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := acl(rule("r", 0, tt.stmt, block)).ComputeCapacity(); got != tt.want {
				t.Errorf("ComputeCapacity() = %d, want %d", got, tt.want)
			}
		})
	}
}
