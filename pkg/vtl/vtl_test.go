package vtl

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

func render(t testing.TB, src string, vars *Vars) string {
	t.Helper()
	tp, err := Compile(src)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	out, _, err := tp.Render(context.Background(), vars)
	if err != nil {
		t.Fatalf("Render(%q): %v", src, err)
	}
	return out
}

type tcase struct {
	name string
	src  string
	want string
}

func runCases(t *testing.T, vars func() *Vars, cases []tcase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var v *Vars
			if vars != nil {
				v = vars()
			}
			if got := render(t, tt.src, v); got != tt.want {
				t.Errorf("Render(%q) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestReferences(t *testing.T) {
	runCases(t, nil, []tcase{
		{name: "plain text", src: "hello world", want: "hello world"},
		{name: "simple", src: `#set($a = "x")$a`, want: "x"},
		{name: "braced", src: `#set($a = "x")${a}y`, want: "xy"},
		{name: "quiet defined", src: `#set($a = "x")$!a`, want: "x"},
		{name: "quiet braced", src: `#set($a = "x")$!{a}`, want: "x"},
		{name: "undefined literal", src: `$foo`, want: "$foo"},
		{name: "undefined braced literal", src: `${foo}`, want: "${foo}"},
		{name: "undefined property literal", src: `$foo.bar`, want: "$foo.bar"},
		{name: "undefined method literal", src: `$foo.bar("x", 1)`, want: `$foo.bar("x", 1)`},
		{name: "quiet undefined", src: `[$!foo][$!{foo.bar}]`, want: "[][]"},
		{name: "dollar alone", src: `costs $ 5 and $1.50`, want: "costs $ 5 and $1.50"},
		{name: "trailing dot is text", src: `#set($a = "x")$a.`, want: "x."},
		{name: "dot then non identifier", src: `#set($a = "x")$a.5`, want: "x.5"},
		{name: "hyphen in identifier", src: `#set($a-b = "x")$a-b`, want: "x"},
		{name: "property on map", src: `#set($m = {"k": "v"})$m.k`, want: "v"},
		{name: "nested property", src: `#set($m = {"a": {"b": {"c": 7}}})$m.a.b.c`, want: "7"},
		{name: "index list", src: `#set($l = ["a", "b"])$l[1]`, want: "b"},
		{name: "index map", src: `#set($m = {"k": 1})$m["k"]`, want: "1"},
		{name: "index then property", src: `#set($l = [{"n": "x"}])$l[0].n`, want: "x"},
		{name: "index by variable", src: `#set($i = 1)#set($l = ["a", "b"])$l[$i]`, want: "b"},
		{name: "text bracket not index", src: `#set($a = "x")$a[s]`, want: "x[s]"},
		{name: "method call", src: `#set($s = "Hello")$s.toUpperCase()`, want: "HELLO"},
		{name: "chained methods", src: `#set($s = " Hi ")$s.trim().toLowerCase().length()`, want: "2"},
		{name: "escaped defined", src: `#set($a = "x")\$a`, want: "$a"},
		{name: "escaped undefined", src: `\$nope`, want: `\$nope`},
		{name: "double escape defined", src: `#set($a = "x")\\$a`, want: `\x`},
		{name: "escaped directive", src: `\#if($x)`, want: `#if($x)`},
		{name: "backslash plain", src: `a\b\\c`, want: `a\b\\c`},
		{name: "map renders java style", src: `#set($m = {"foo": "bar", "n": 1})$m`, want: "{foo=bar, n=1}"},
		{name: "list renders java style", src: `#set($l = [1, "a", true])$l`, want: "[1, a, true]"},
		{name: "nested collections", src: `#set($m = {"l": [1, {"x": null}]})$m`, want: "{l=[1, {x=null}]}"},
		{name: "float renders java style", src: `#set($f = 1.0)#set($g = 2.50)$f $g`, want: "1.0 2.5"},
		{name: "foreach outside loop", src: `$foreach.index`, want: "$foreach.index"},
	})
}

func TestDirectives(t *testing.T) {
	runCases(t, nil, []tcase{
		{name: "set eats line", src: "#set($a = 1)\nx$a", want: "x1"},
		{name: "set eats blanks before it", src: `a #set($a = 1)b`, want: "ab"},
		{name: "set eats leading blanks", src: "a\n  #set($a = 1)\nb", want: "a\nb"},
		{name: "set nested map", src: `#set($m = {})#set($m.k = "v")#set($m["j"] = 2)$m`, want: "{k=v, j=2}"},
		{name: "set list index", src: `#set($l = [1, 2])#set($l[0] = 9)$l`, want: "[9, 2]"},
		{name: "set null keeps old", src: `#set($a = "x")#set($a = $nope)$a`, want: "x"},
		{name: "set from interpolation", src: `#set($n = "w")#set($s = "hello $n!")$s`, want: "hello w!"},
		{name: "if true", src: `#if(true)yes#end`, want: "yes"},
		{name: "if false else", src: `#if(false)yes#{else}no#end`, want: "no"},
		{name: "elseif", src: `#set($n = 2)#if($n == 1)one#elseif($n == 2)two#else other#end`, want: "two"},
		{name: "if null is false", src: `#if($nope)yes#else no#end`, want: " no"},
		{name: "if empty string is true", src: `#if("")yes#end`, want: "yes"},
		{name: "if empty list is true", src: `#if([])yes#end`, want: "yes"},
		{name: "if lines", src: "#if(true)\na\n#else\nb\n#end\nc", want: "a\nc"},
		{name: "indent kept before if", src: "x\n  #if(true)\n  a\n  #end\ny", want: "x\n    a\n  y"},
		{name: "braced end", src: `#if(true)a#{end}b`, want: "ab"},
		{name: "if spaced paren", src: `#if ( true )a#end`, want: "a"},
		{name: "foreach list", src: `#foreach($i in [1, 2, 3])$i#end`, want: "123"},
		{name: "foreach map values", src: `#foreach($v in {"a": 1, "b": 2})$v#end`, want: "12"},
		{name: "foreach range", src: `#foreach($i in [1..4])$i#end`, want: "1234"},
		{name: "foreach descending range", src: `#foreach($i in [3..1])$i#end`, want: "321"},
		{name: "foreach null", src: `#foreach($i in $nope)x#end`, want: ""},
		{name: "foreach state", src: `#foreach($i in ["a", "b", "c"])$foreach.index/$foreach.count/$velocityCount/$foreach.first/$foreach.last/$foreach.hasNext;#end`,
			want: "0/1/1/true/false/true;1/2/2/false/false/true;2/3/3/false/true/false;"},
		{name: "foreach hasNext method", src: `#foreach($i in [1, 2])$i#if($foreach.hasNext()),#end#end`, want: "1,2"},
		{name: "foreach parent", src: `#foreach($i in [1, 2])#foreach($j in [1])$foreach.parent.index#end#end`, want: "01"},
		{name: "foreach restores variable", src: `#set($i = "x")#foreach($i in [1, 2])#end$i`, want: "x"},
		{name: "foreach variable gone after", src: `#foreach($i in [1])#end$i`, want: "$i"},
		{name: "break", src: `#foreach($i in [1, 2, 3])#if($i == 2)#break#end$i#end`, want: "1"},
		{name: "stop", src: `a#stop b`, want: "a"},
		{name: "stop in loop", src: `#foreach($i in [1, 2])$i#stop#end after`, want: "1"},
		{name: "line comment", src: "a ## comment\nb", want: "a b"},
		{name: "block comment", src: "a#* multi\nline *#b", want: "ab"},
		{name: "unparsed block", src: `#[[ $x #if ]]#`, want: " $x #if "},
		{name: "longer word is not a directive", src: `#if(true)a#end1#end`, want: "a#end1"},
		{name: "hash alone", src: `# #1 #abc`, want: "# #1 #abc"},
		{name: "even escapes keep directive", src: `\\#if(true)x#end`, want: `\x`},
		{name: "break inner loop only", src: `#foreach($i in [1, 2])#foreach($j in [1, 2, 3])#if($j == 2)#break#end$i$j #end#end`, want: "11 21 "},
		{name: "break at top level stops", src: `a#break b`, want: "a"},
		{name: "comment after end", src: "#if(true)x#end ## note\ny", want: "x y"},
		{name: "crlf after directive", src: "#set($a = 1)\r\n$a", want: "1"},
		{name: "set inside string directive", src: `#set($s = "#if(true)yes#end")$s`, want: "yes"},
		{name: "foreach json array", src: "[\n#foreach($x in [1, 2])\n  {\"v\": $x}#if($foreach.hasNext),#end\n\n#end\n]", want: "[\n  {\"v\": 1},\n  {\"v\": 2}\n]"},
	})
}

func TestExpressions(t *testing.T) {
	runCases(t, nil, []tcase{
		{name: "int arithmetic", src: `#set($x = 7 / 2)#set($y = 7 % 3)#set($z = 2 * 3 + 1)$x $y $z`, want: "3 1 7"},
		{name: "float arithmetic", src: `#set($x = 7.0 / 2)$x`, want: "3.5"},
		{name: "precedence and parens", src: `#set($x = (1 + 2) * 3)$x`, want: "9"},
		{name: "negative", src: `#set($x = -5 + 2)#set($y = -$x)$x $y`, want: "-3 3"},
		{name: "division by zero is null", src: `#set($x = 1 / 0)$!x.`, want: "."},
		{name: "overflow promotes", src: `#set($x = 9223372036854775807 + 1)$x`, want: "9.223372036854776E18"},
		{name: "string concat", src: `#set($s = "a" + 1)$s`, want: "a1"},
		{name: "comparisons", src: `#if(1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3)ok#end`, want: "ok"},
		{name: "word operators", src: `#if(1 lt 2 and 2 le 2 and 3 gt 2 and 3 ge 3 and 1 eq 1 and 1 ne 2)ok#end`, want: "ok"},
		{name: "or not", src: `#if(false || !false)a#end#if(false or not false)b#end`, want: "ab"},
		{name: "int float equal", src: `#if(1 == 1.0)eq#end`, want: "eq"},
		{name: "string equality", src: `#set($a = "x")#if($a == "x")eq#end#if($a != "y")ne#end`, want: "eqne"},
		{name: "mixed types compare by string", src: `#if("1" == 1)eq#end`, want: "eq"},
		{name: "null equality", src: `#if($nope == $nope2)eq#end#if($nope != "x")ne#end`, want: "eqne"},
		{name: "string less is false", src: `#if("a" < "b")lt#else no#end`, want: " no"},
		{name: "single quotes no interpolation", src: `#set($a = "x")#set($s = '$a')$s`, want: "$a"},
		{name: "double quotes interpolate", src: `#set($a = "x")#set($s = "[$a]")$s`, want: "[x]"},
		{name: "doubled quote", src: `#set($s = "say ""hi""")$s`, want: `say "hi"`},
		{name: "failing interpolation yields literal text", src: `#set($s = "abc")#set($t = "x$s.substring(9)")$t`, want: "x$s.substring(9)"},
		{name: "backslash does not escape quote", src: `#set($s = "a\")$s`, want: `a\`},
		{name: "backslash kept", src: `#set($s = "a\\'b")$s`, want: `a\\'b`},
		{name: "map literal with expressions", src: `#set($k = "key")#set($m = {$k: 1 + 1, "b": [1]})$m`, want: "{key=2, b=[1]}"},
		{name: "empty literals", src: `#set($m = {})#set($l = [])$m$l`, want: "{}[]"},
		{name: "null literal", src: `#set($a = "x")#set($a = null)$a`, want: "x"},
		{name: "booleans", src: `#set($t = true)#set($f = !$t)$t $f`, want: "true false"},
		{name: "multiline args", src: "#set($m = {\n  \"a\": 1,\n  \"b\": 2\n})$m.size()", want: "2"},
	})
}

func TestMethods(t *testing.T) {
	runCases(t, nil, []tcase{
		{name: "length", src: `#set($s = "héllo")$s.length()`, want: "5"},
		{name: "substring", src: `#set($s = "hello")$s.substring(1, 3) $s.substring(3)`, want: "el lo"},
		{name: "indexOf", src: `#set($s = "hello")$s.indexOf("l") $s.indexOf("l", 3) $s.indexOf("z") $s.lastIndexOf("l")`, want: "2 3 -1 3"},
		{name: "replace", src: `#set($s = "a.b.c")$s.replace(".", "/")`, want: "a/b/c"},
		{name: "replaceAll groups", src: `#set($s = "2024-01-02")$s.replaceAll("(\d+)-(\d+)-(\d+)", "$3/$2/$1")`, want: "02/01/2024"},
		{name: "replaceFirst", src: `#set($s = "aaa")$s.replaceFirst("a", "b")`, want: "baa"},
		{name: "escape js then unescape quote", src: `#set($s = "it's")$util.escapeJavaScript($s).replaceAll("\\'", "'")`, want: "it's"},
		{name: "case", src: `#set($s = "MiXed")$s.toLowerCase()$s.toUpperCase()`, want: "mixedMIXED"},
		{name: "trim", src: `#set($s = "  x  ")[$s.trim()]`, want: "[x]"},
		{name: "predicates", src: `#set($s = "hello")$s.startsWith("he") $s.endsWith("lo") $s.contains("ll") $s.equals("hello") $s.isEmpty() $s.matches("h.*o") $s.matches("ell")`, want: "true true true true false true false"},
		{name: "charAt", src: `#set($s = "abc")$s.charAt(1)`, want: "b"},
		{name: "split", src: `#set($s = "a,b,,c,,")$s.split(",") $s.split(",").size()`, want: "[a, b, , c] 4"},
		{name: "split regex", src: `#set($s = "a1b22c")#foreach($p in $s.split("\d+"))$p;#end`, want: "a;b;c;"},
		{name: "map methods", src: `#set($m = {"a": 1})#set($_ = $m.put("b", 2))$m.get("a") $m.containsKey("b") $m.containsKey("z") $m.keySet() $m.values() $m.size() $m.isEmpty()`, want: "1 true false [a, b] [1, 2] 2 false"},
		{name: "map entrySet", src: `#set($m = {"a": 1, "b": 2})#foreach($e in $m.entrySet())$e.key=$e.value;#end`, want: "a=1;b=2;"},
		{name: "map remove", src: `#set($m = {"a": 1, "b": 2})#set($_ = $m.remove("a"))$m`, want: "{b=2}"},
		{name: "list methods", src: `#set($l = [1])#set($_ = $l.add(2))$l.get(1) $l.size() $l.contains(2) $l.contains(5) $l.isEmpty() $l`, want: "2 2 true false false [1, 2]"},
		{name: "list remove index and value", src: `#set($l = ["a", "b", "c"])#set($_ = $l.remove(0))#set($_ = $l.remove("c"))$l`, want: "[b]"},
		{name: "add returns true so quiet", src: `#set($l = [])$l.add(1)$l`, want: "true[1]"},
		{name: "unknown method renders literally", src: `#set($s = "x")$s.nope()`, want: "$s.nope()"},
		{name: "empty property", src: `#set($s = "")#set($l = [])$s.empty $l.empty`, want: "true true"},
	})
}

func TestAWSVariables(t *testing.T) {
	vars := func() *Vars {
		return &Vars{
			Body:   []byte(`{"foo":"bar","n":1,"f":1.5,"list":[1,2,{"k":"v"}],"nested":{"a":{"b":"c"}},"q":"it's \"quoted\""}`),
			Path:   map[string]string{"id": "42"},
			Query:  map[string]string{"q": "search", "id": "query-id"},
			Header: map[string]string{"X-Custom": "hdr", "Content-Type": "application/json"},
			Context: map[string]any{
				"requestId": "req-1",
				"stage":     "prod",
				"identity":  map[string]any{"sourceIp": "192.0.2.1"},
				"authorizer": map[string]any{
					"claims": map[string]any{"sub": "user-1"},
				},
			},
			StageVariables: map[string]string{"backend": "pets"},
		}
	}
	runCases(t, vars, []tcase{
		{name: "path root renders java map", src: `$input.path('$')`, want: `{foo=bar, n=1, f=1.5, list=[1, 2, {k=v}], nested={a={b=c}}, q=it's "quoted"}`},
		{name: "path scalar", src: `$input.path('$.foo') $input.path('$.n') $input.path('$.f')`, want: "bar 1 1.5"},
		{name: "path nested object", src: `$input.path('$.nested.a')`, want: "{b=c}"},
		{name: "path usable as object", src: `#set($root = $input.path('$'))$root.nested.a.b $root.list.size() $root.list[2].k`, want: "c 3 v"},
		{name: "path missing renders empty", src: `[$input.path('$.missing')][$input.path('$.nested.zz.yy')]`, want: "[][]"},
		{name: "path indefinite", src: `$input.path('$.list[*]')`, want: "[1, 2, {k=v}]"},
		{name: "json scalar", src: `$input.json('$.foo') $input.json('$.n')`, want: `"bar" 1`},
		{name: "json object", src: `$input.json('$.nested')`, want: `{"a":{"b":"c"}}`},
		{name: "json list", src: `$input.json('$.list')`, want: `[1,2,{"k":"v"}]`},
		{name: "json root", src: `$input.json('$')`, want: `{"foo":"bar","n":1,"f":1.5,"list":[1,2,{"k":"v"}],"nested":{"a":{"b":"c"}},"q":"it's \"quoted\""}`},
		{name: "json missing renders empty", src: `[$input.json('$.missing')]`, want: "[]"},
		{name: "json indefinite no match", src: `$input.json('$.list[?(@.k == "zz")]')`, want: "[]"},
		{name: "body", src: `$input.body`, want: `{"foo":"bar","n":1,"f":1.5,"list":[1,2,{"k":"v"}],"nested":{"a":{"b":"c"}},"q":"it's \"quoted\""}`},
		{name: "params by name order", src: `$input.params('id') $input.params('q') $input.params('X-Custom') $input.params('x-custom')`, want: "42 search hdr hdr"},
		{name: "params missing", src: `[$input.params('nope')]#if(!$input.params('nope'))none#end`, want: "[]none"},
		{name: "hyphenated header property", src: `$input.params().header.X-Custom`, want: "hdr"},
		{name: "params inside quotes", src: `"id": "$input.params('id')"`, want: `"id": "42"`},
		{name: "params all", src: `$input.params().path $input.params().querystring.q $input.params().header.get("X-Custom")`, want: "{id=42} search hdr"},
		{name: "params loop", src: `#set($all = $input.params())#foreach($type in $all.keySet())$type:#foreach($p in $all.get($type).keySet())$p,#end;#end`,
			want: "path:id,;querystring:id,q,;header:Content-Type,X-Custom,;"},
		{name: "context", src: `$context.requestId $context.stage $context.identity.sourceIp $context.authorizer.claims.sub`, want: "req-1 prod 192.0.2.1 user-1"},
		{name: "context missing empty", src: `[$context.nope][$context.identity.nope]`, want: "[][]"},
		{name: "stage variables", src: `$stageVariables.backend [$stageVariables.nope]`, want: "pets []"},
		{name: "escapeJavaScript", src: `$util.escapeJavaScript($input.path('$.q'))`, want: `it\'s \"quoted\"`},
		{name: "escapeJavaScript controls and unicode", src: `$util.escapeJavaScript("a/b
é😀")`, want: `a\/b\n\u00E9\uD83D\uDE00`},
		{name: "parseJson", src: `#set($o = $util.parseJson('{"a":[1,{"b":true}]}'))$o.a[1].b $o`, want: "true {a=[1, {b=true}]}"},
		{name: "urlEncode", src: `$util.urlEncode("a b&c=d/é*~")`, want: "a+b%26c%3Dd%2F%C3%A9*%7E"},
		{name: "urlDecode", src: `$util.urlDecode("a+b%26c")`, want: "a b&c"},
		{name: "base64", src: `$util.base64Encode("hello") $util.base64Decode("aGVsbG8=")`, want: "aGVsbG8= hello"},
		{name: "toJson", src: `$util.toJson($input.path('$.nested'))`, want: `{"a":{"b":"c"}}`},
		{name: "unknown util function empty", src: `[$util.nope("x")]`, want: "[]"},
	})
}

func TestEmptyBody(t *testing.T) {
	got := render(t, `[$input.path('$')][$input.json('$')][$input.path('$.a')]`, &Vars{})
	if want := "[{}][{}][]"; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

func TestBigIntegers(t *testing.T) {
	got := render(t, `$input.path('$.id') $input.json('$') $input.path('$.f')`, &Vars{Body: []byte(`{"id":123456789012345678901234567890,"f":1e400}`)})
	if want := `123456789012345678901234567890 {"id":123456789012345678901234567890,"f":null} Infinity`; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

func TestNonJSONBody(t *testing.T) {
	tp := MustCompile(`$input.body`)
	out, _, err := tp.Render(context.Background(), &Vars{Body: []byte("plain text")})
	if err != nil || out != "plain text" {
		t.Errorf("Render = %q, %v; want plain text", out, err)
	}
	tp = MustCompile(`$input.path('$.a')`)
	if _, _, err := tp.Render(context.Background(), &Vars{Body: []byte("plain text")}); err == nil {
		t.Error("$input.path on a non-JSON body: want error")
	}
}

func TestOverrides(t *testing.T) {
	src := `#set($context.requestOverride.header.X-Trace = "t-1")
#set($context.requestOverride.querystring.page = 2)
#set($context.requestOverride.path.id = $input.params('id'))
#set($context.responseOverride.status = 418)
#set($context.responseOverride.header.Retry-After = "5")
done`
	vars := &Vars{Path: map[string]string{"id": "7"}, Context: map[string]any{"stage": "prod"}}
	tp := MustCompile(src)
	out, ov, err := tp.Render(context.Background(), vars)
	if err != nil {
		t.Fatal(err)
	}
	if out != "done" {
		t.Errorf("output = %q, want done", out)
	}
	checks := []struct{ name, got, want string }{
		{"request header", ov.RequestHeader["X-Trace"], "t-1"},
		{"request query", ov.RequestQuery["page"], "2"},
		{"request path", ov.RequestPath["id"], "7"},
		{"response header", ov.ResponseHeader["Retry-After"], "5"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if ov.ResponseStatus != 418 {
		t.Errorf("ResponseStatus = %d, want 418", ov.ResponseStatus)
	}
	if _, touched := vars.Context["requestOverride"]; touched {
		t.Error("Execute modified the caller's Context map")
	}
	_, ov, err = MustCompile(`nothing`).Render(context.Background(), vars)
	if err != nil || ov.ResponseStatus != 0 || ov.RequestHeader != nil {
		t.Errorf("no overrides: got %+v, %v", ov, err)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		msg       string
	}{
		{name: "unclosed if", src: "a\n  #if($x)\nb", line: 2, col: 3, msg: "#if without #end"},
		{name: "unclosed foreach", src: "#foreach($i in $l)x", line: 1, col: 1, msg: "#foreach without #end"},
		{name: "stray end", src: "x\n#end", line: 2, col: 1, msg: "#end without"},
		{name: "stray else", src: "#else", line: 1, col: 1, msg: "#else"},
		{name: "else after else", src: "#if(true)#else#else#end", line: 1, col: 15, msg: "after #else"},
		{name: "if without parens", src: "#if true #end", line: 1, col: 1, msg: "needs (...)"},
		{name: "bad expression", src: "#if(1 +)x#end", line: 1, col: 8, msg: "unexpected"},
		{name: "set without equals", src: "#set($a 1)", line: 1, col: 9, msg: "expected ="},
		{name: "set to method", src: "#set($a.b() = 1)", line: 1, col: 1, msg: "method"},
		{name: "unclosed comment", src: "a #* b", line: 1, col: 3, msg: "unclosed #*"},
		{name: "unclosed literal block", src: "#[[ b", line: 1, col: 1, msg: "unclosed #[["},
		{name: "unclosed directive paren", src: "#if($a\nx", line: 2, col: 1, msg: "expected )"},
		{name: "unclosed string", src: `#set($a = "abc)`, line: 1, col: 11, msg: "unclosed string"},
		{name: "unsupported macro", src: "#macro(x)#end", line: 1, col: 1, msg: "unsupported directive"},
		{name: "foreach without in", src: "#foreach($i $l)#end", line: 1, col: 13, msg: "expected 'in'"},
		{name: "too deep", src: strings.Repeat("#if(true)", 200), line: 1, msg: "nesting deeper"},
		{name: "too deep expression", src: "#set($a = " + strings.Repeat("(", 500) + "1" + strings.Repeat(")", 500) + ")", line: 1, msg: "nesting deeper"},
		{name: "bad number", src: "#set($a = 99999999999999999999)", line: 1, col: 11, msg: "invalid number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.src)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%q) error = %v, want *Error", tt.src, err)
			}
			if e.Line != tt.line || (tt.col != 0 && e.Col != tt.col) || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("Compile(%q) = %d:%d %q, want %d:%d containing %q", tt.src, e.Line, e.Col, e.Msg, tt.line, tt.col, tt.msg)
			}
		})
	}
}

func TestRuntimeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		msg  string
	}{
		{name: "substring out of range", src: `#set($s = "abc")$s.substring(5)`, msg: "out of range"},
		{name: "bad regex", src: `#set($s = "abc")$s.replaceAll("(?<=a)b", "x")`, msg: "regular expression"},
		{name: "bad base64", src: `$util.base64Decode("%%%")`, msg: "base64Decode"},
		{name: "bad json", src: `$util.parseJson("{")`, msg: "parseJson"},
		{name: "bad jsonpath", src: `$input.path('$[')`, msg: "invalid path"},
		{name: "list get out of range", src: `#set($l = [])$l.get(0)`, msg: "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := MustCompile(tt.src).Render(context.Background(), nil)
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(e.Msg, tt.msg) {
				t.Fatalf("Render(%q) error = %v, want *Error containing %q", tt.src, err, tt.msg)
			}
			if e.Line != 1 || e.Col < 1 {
				t.Errorf("Render(%q) error position %d:%d, want line 1", tt.src, e.Line, e.Col)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		limits Limits
		want   error
	}{
		{name: "loop iterations", src: `#foreach($i in [1..2000])x#end`, want: ErrLoopLimit},
		{name: "total iterations", src: `#foreach($i in [1..100])#foreach($j in [1..100])#foreach($k in [1..100])#end#end#end`, want: ErrLoopLimit},
		{name: "huge range", src: `#foreach($i in [1..2000000000])#end`, want: ErrLoopLimit},
		{name: "output", src: `#foreach($i in [1..1000])0123456789#end`, limits: Limits{MaxOutputBytes: 5000}, want: ErrOutputLimit},
		{name: "doubling string", src: `#set($s = "xxxxxxxxxx")#foreach($i in [1..100])#set($s = "$s$s")#end`, limits: Limits{MaxOutputBytes: 1 << 20}, want: ErrOutputLimit},
		{name: "doubling concat", src: `#set($s = "xxxxxxxxxx")#foreach($i in [1..100])#set($s = $s + $s)#end`, limits: Limits{MaxOutputBytes: 1 << 20}, want: ErrOutputLimit},
		{name: "replace blowup", src: `#set($s = "xxxxxxxxxx")#foreach($i in [1..100])#set($s = $s.replace("x", "xx"))#end`, limits: Limits{MaxOutputBytes: 1 << 20}, want: ErrOutputLimit},
		{name: "depth", src: strings.Repeat("#if(true)", 10) + strings.Repeat("#end", 10), limits: Limits{MaxDepth: 5}, want: ErrDepthLimit},
		{name: "many copies of a big string", src: `#set($s = "0123456789")#foreach($i in [1..16])#set($s = "$s$s")#end#set($l = [])#foreach($i in [1..1000])#set($_ = $l.add("$s"))#end`,
			limits: Limits{MaxOutputBytes: 1 << 20}, want: ErrOutputLimit},
		{name: "deadline", src: `#foreach($i in [1..100])#foreach($j in [1..100])#foreach($k in [1..100])#end#end#end`,
			limits: Limits{MaxTotalIterations: 1 << 30, Timeout: 1}, want: ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := MustCompile(tt.src).Render(context.Background(), &Vars{Limits: tt.limits})
			if !errors.Is(err, tt.want) {
				t.Errorf("Render error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := MustCompile(`#foreach($i in [1..500])$i#end`).Render(ctx, nil)
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("Render with cancelled context error = %v, want ErrTimeout", err)
	}
}

func TestSelfReferenceRenders(t *testing.T) {
	got := render(t, `#set($m = {})#set($_ = $m.put("me", $m))$m $util.toJson($m).length()`, nil)
	if !strings.HasPrefix(got, "{me=(this Map)} ") {
		t.Errorf("Render = %q, want {me=(this Map)} prefix", got)
	}
}

func TestSelfReferenceManyTimes(t *testing.T) {
	// Each level holds the map twice: without a budget rendering would
	// visit 2^64 nodes.
	src := `#set($m = {})#set($_ = $m.put("a", $m))#set($_ = $m.put("b", $m))#set($s = "$m")#set($j = $util.toJson($m))#if($m == $m.a)eq#end`
	tp := MustCompile(src)
	if _, _, err := tp.Render(context.Background(), nil); err != nil && !errors.Is(err, ErrOutputLimit) {
		t.Fatalf("Render = %v", err)
	}
}

func TestInputPathReturnsCopy(t *testing.T) {
	got := render(t, `#set($r = $input.path('$'))#set($r.a = "changed")#set($_ = $input.path('$.l').add(9))$input.path('$.a') $input.json('$.l') $r.a`,
		&Vars{Body: []byte(`{"a":"orig","l":[1]}`)})
	if want := `orig [1] changed`; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

func TestExecuteWritesNothingOnError(t *testing.T) {
	var b strings.Builder
	_, err := MustCompile(`partial#set($s = "a")$s.substring(9)`).Execute(context.Background(), &b, nil)
	if err == nil || b.Len() != 0 {
		t.Errorf("Execute = %q, %v; want no output and an error", b.String(), err)
	}
	ov, err := MustCompile(`ok`).Execute(context.Background(), &b, nil)
	if err != nil || b.String() != "ok" || ov == nil {
		t.Errorf("Execute = %q, %v, %v; want ok", b.String(), ov, err)
	}
}

func TestConcurrentExecute(t *testing.T) {
	tp := MustCompile(`#set($root = $input.path('$'))#set($root.extra = $input.params('id'))$root #foreach($i in $root.items)$i#end`)
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				id := string(rune('a' + g))
				out, _, err := tp.Render(context.Background(), &Vars{Body: []byte(`{"items":[1,2]}`), Path: map[string]string{"id": id}})
				want := "{items=[1, 2], extra=" + id + "} 12"
				if err != nil || out != want {
					errs <- out
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent Render = %q", e)
	}
}

func TestSharedVarsConcurrently(t *testing.T) {
	vars := &Vars{
		Body:    []byte(`{"a":{"b":1}}`),
		Context: map[string]any{"authorizer": map[string]any{"sub": "u"}},
		Header:  map[string]string{"H": "v"},
	}
	tp := MustCompile(`#set($r = $input.path('$'))#set($r.a.b = $r.a.b + 1)#set($context.authorizer.sub = "changed")#set($context.responseOverride.status = 202)#set($p = $input.params())#set($p.header.H = "x")$r.a.b $input.params('H')`)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				out, ov, err := tp.Render(context.Background(), vars)
				if err != nil || out != "2 v" || ov.ResponseStatus != 202 {
					t.Errorf("Render = %q, %+v, %v; want \"2 v\" and status 202", out, ov, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if sub := vars.Context["authorizer"].(map[string]any)["sub"]; sub != "u" {
		t.Errorf("caller's Context modified: sub = %v", sub)
	}
}
