package vtl

import (
	"context"
	"errors"
	"testing"
	"time"
)

var fuzzSeeds = []string{
	"hello $name ${name} $!name $!{name}",
	"#set($a = {\"k\": [1, 2.5, true, null]})$a.k[1] $a.get(\"k\").size()",
	"#if($a == 1)x#elseif($a lt 2)y#else z#end",
	"#foreach($i in [1..3])$i#if($foreach.hasNext),#end#end",
	"## comment\n#* block *# #[[ raw $x ]]#",
	"\\$x \\\\$x \\#if #{if}(true)a#{else}b#{end}",
	"#set($s = \"a$b\")$s.replaceAll(\"(a)\", \"$1$1\").split(\",\")",
	"$input.path('$.a') $input.json('$..b') $input.params('x') $util.escapeJavaScript($input.body)",
	"#set($context.responseOverride.status = 400)#stop",
	"#foreach($x in $input.path('$.list'))#break#end",
	"$a.b(\"c\", [1, {\"d\": $e}], -1.5e3)",
}

func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tp, err := Compile(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || e.Col < 1 {
				t.Fatalf("Compile(%q) error %v without a position", src, err)
			}
			return
		}
		if tp.Source() != src {
			t.Fatal("Source() differs from the compiled text")
		}
	})
}

func FuzzExecute(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, `{"a":1,"list":[1,"x",{"b":null}],"b":"y"}`)
	}
	f.Fuzz(func(t *testing.T, src, body string) {
		tp, err := Compile(src)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		vars := &Vars{
			Body:    []byte(body),
			Query:   map[string]string{"x": "1"},
			Context: map[string]any{"stage": "dev"},
			Limits:  Limits{MaxOutputBytes: 1 << 16, MaxLoopIterations: 100, MaxTotalIterations: 1000, Timeout: 500 * time.Millisecond},
		}
		out, ov, err := tp.Render(ctx, vars)
		if err != nil {
			return
		}
		if len(out) > 1<<16 {
			t.Fatalf("output of %d bytes exceeds the limit", len(out))
		}
		if ov == nil {
			t.Fatal("nil Overrides without error")
		}
	})
}
