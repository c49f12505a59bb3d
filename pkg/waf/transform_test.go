package waf

import "testing"

func TestTransformations(t *testing.T) {
	tests := []struct {
		name, typ, in, want string
	}{
		{"lowercase", "LOWERCASE", "AbC-Ä", "abc-Ä"},
		{"uppercase", "UPPERCASE", "abc", "ABC"},
		{"url decode", "URL_DECODE", "a%20b+c%3c%zz%4", "a b c<%zz%4"},
		{"url decode uni", "URL_DECODE_UNI", "%u003Cx%u00e9%41", "<xé" + "A"},
		{"url decode uni bad", "URL_DECODE_UNI", "%u00zz", "%u00zz"},
		{"compress white space", "COMPRESS_WHITE_SPACE", "a \t\n\r\f\vb\xa0 c", "a b c"},
		{"html entities", "HTML_ENTITY_DECODE", "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#65;&#x42;&nbsp;", "<a href=\"x\">&'AB\xa0"},
		{"html unknown entity", "HTML_ENTITY_DECODE", "&bogus; & &#xzz; &#;", "&bogus; & &#xzz; &#;"},
		{"base64", "BASE64_DECODE", "PHNjcmlwdD4=", "<script>"},
		{"base64 unpadded", "BASE64_DECODE", "PHNjcmlwdD4", "<script>"},
		{"base64 invalid kept", "BASE64_DECODE", "not base64!", "not base64!"},
		{"base64 ext", "BASE64_DECODE_EXT", "PHNj cmlw\ndD4=!", "<script>"},
		{"hex", "HEX_DECODE", "3c736372697074", "<script"},
		{"hex odd", "HEX_DECODE", "41z4", "Az4"},
		{"remove nulls", "REMOVE_NULLS", "a\x00b\x00", "ab"},
		{"replace nulls", "REPLACE_NULLS", "a\x00b", "a b"},
		{"trim", "TRIM", " \t a b \n", "a b"},
		{"trim left", "TRIM_LEFT", " \t a b \n", "a b \n"},
		{"trim right", "TRIM_RIGHT", " a b \n\xa0", " a b"},
		{"remove whitespace", "REMOVE_WHITESPACE", " a\tb \nc", "abc"},
		{"cmd line", "CMD_LINE", `C^at  /ETC/"pass"wd ;ls ,  (x)`, "cat/etc/passwd ls(x)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := transforms[tt.typ]
			if got := string(fn(nil, []byte(tt.in))); got != tt.want {
				t.Errorf("%s(%q) = %q, want %q", tt.typ, tt.in, got, tt.want)
			}
		})
	}
}

// TestTransformationOrder checks that transformations run in ascending Priority, not list order.
func TestTransformationOrder(t *testing.T) {
	// URL_DECODE then BASE64_DECODE turns "PHN%6A" into "<sc"; the other order leaves "PHNj".
	s := Statement{ByteMatchStatement: &ByteMatchStatement{
		SearchString: []byte("<sc"), FieldToMatch: arg("q"), PositionalConstraint: "EXACTLY",
		TextTransformations: []TextTransformation{{Priority: 5, Type: "BASE64_DECODE"}, {Priority: 1, Type: "URL_DECODE"}},
	}}
	p := compile(t, acl(rule("r", 0, s, block)))
	if v := p.Evaluate(get("/", "q=PHNj")); !v.Block {
		t.Errorf("Evaluate(q=PHNj).Block = false, want true")
	}
	if v := p.Evaluate(get("/", "q=PHN%6A")); !v.Block {
		t.Errorf("Evaluate(q=PHN%%6A).Block = false, want true (URL_DECODE must run first)")
	}
}
