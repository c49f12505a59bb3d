package vtl

import (
	"context"
	"strings"
	"testing"
)

func BenchmarkExecute(b *testing.B) {
	src := `#set($inputRoot = $input.path('$'))
{
  "requestId": "$context.requestId",
  "user": "$util.escapeJavaScript($input.params('user'))",
  "items": [
#foreach($elem in $inputRoot.items)
    {"id": "$elem.id", "name": "$elem.name", "price": $elem.price}#if($foreach.hasNext),#end

#end
  ],
  "raw": $input.json('$.meta')
}`
	tp := MustCompile(src)
	var body strings.Builder
	body.WriteString(`{"items":[`)
	for i := range 10 {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(`{"id":"item-` + string(rune('0'+i)) + `","name":"Thing \"quoted\"","price":12.5}`)
	}
	body.WriteString(`],"meta":{"page":1,"tags":["a","b"]}}`)
	vars := func() *Vars {
		return &Vars{
			Body:    []byte(body.String()),
			Query:   map[string]string{"user": "o'brien"},
			Context: map[string]any{"requestId": "r-1", "stage": "prod"},
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := tp.Render(ctx, vars()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	src := strings.Repeat(`#if($a.b("c") == 1)$x.y[0]#else text #end`, 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(src); err != nil {
			b.Fatal(err)
		}
	}
}
