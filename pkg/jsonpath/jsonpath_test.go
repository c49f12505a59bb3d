package jsonpath

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

const store = `{
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10,
  "a.b": "dotted"
}`

func decode(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGet(t *testing.T) {
	doc := decode(t, store)
	tests := []struct {
		name string
		path string
		want any
	}{
		{name: "root", path: "$", want: doc},
		{name: "child", path: "$.expensive", want: 10.0},
		{name: "nested", path: "$.store.bicycle.color", want: "red"},
		{name: "bracket", path: "$['store']['bicycle']['color']", want: "red"},
		{name: "quoted dotted key", path: "$['a.b']", want: "dotted"},
		{name: "index", path: "$.store.book[1].author", want: "Evelyn Waugh"},
		{name: "negative index", path: "$.store.book[-1].title", want: "Moby Dick"},
		{name: "relative without dollar", path: "store.bicycle.price", want: 19.95},
		{name: "missing definite", path: "$.nope.deeper", want: nil},
		{name: "index out of range", path: "$.store.book[9]", want: nil},
		{name: "wildcard", path: "$.store.book[*].author", want: []any{"Nigel Rees", "Evelyn Waugh", "Herman Melville"}},
		{name: "deep scan", path: "$..isbn", want: []any{"0-553-21311-3"}},
		{name: "slice", path: "$.store.book[0:2].price", want: []any{8.95, 12.99}},
		{name: "union", path: "$.store.bicycle['color','price']", want: []any{"red", 19.95}},
		{name: "filter", path: "$.store.book[?(@.price < 10)].title", want: []any{"Sayings of the Century", "Moby Dick"}},
		{name: "indefinite no match", path: "$.store.book[?(@.price > 100)].title", want: []any{}},
		{name: "indefinite on missing", path: "$.nothing[*]", want: []any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Get(doc, tt.path)
			if err != nil {
				t.Fatalf("Get(%q) error: %v", tt.path, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Get(%q) = %#v, want %#v", tt.path, got, tt.want)
			}
		})
	}
}

func TestDefinite(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"$", true}, {"$.a.b", true}, {"$.a[0]", true}, {"$['a']", true},
		{"$.a[*]", false}, {"$..a", false}, {"$.a[0:1]", false}, {"$.a[0,1]", false}, {"$.a[?(@.b)]", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := Compile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if p.Definite() != tt.want {
				t.Errorf("Definite(%q) = %v, want %v", tt.path, p.Definite(), tt.want)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, p := range []string{"", "   ", "$.a[", "$[?(@.a ==", string(make([]byte, MaxPathLen+1))} {
		t.Run(p, func(t *testing.T) {
			if _, err := Compile(p); !errors.Is(err, ErrSyntax) {
				t.Errorf("Compile(%q) error = %v, want ErrSyntax", p, err)
			}
		})
	}
}

func TestCacheReturnsSamePath(t *testing.T) {
	a, err := Compile("$.cached.path")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Compile("$.cached.path")
	if a != b {
		t.Error("Compile twice returned different *Path; cache not used")
	}
}

// ordered is a minimal insertion-ordered map, like the one pkg/vtl uses.
type ordered struct {
	keys []string
	vals map[string]any
}

func (o *ordered) ValueForKey(k string) (any, bool) { v, ok := o.vals[k]; return v, ok }
func (o *ordered) SetValueForKey(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}
func (o *ordered) RemoveValueForKey(k string) { delete(o.vals, k) }
func (o *ordered) Keys() []string             { return o.keys }

type seq struct{ items []any }

func (s *seq) ValueAtIndex(i int) any {
	if i < 0 {
		i += len(s.items)
	}
	if i < 0 || i >= len(s.items) {
		return nil
	}
	return s.items[i]
}
func (s *seq) SetValueAtIndex(i int, v any) { s.items[i] = v }
func (s *seq) Size() int                    { return len(s.items) }

func TestKeyedIndexed(t *testing.T) {
	mk := func(kv ...any) *ordered {
		o := &ordered{vals: map[string]any{}}
		for i := 0; i < len(kv); i += 2 {
			o.SetValueForKey(kv[i].(string), kv[i+1])
		}
		return o
	}
	doc := mk("items", &seq{items: []any{mk("id", int64(1), "ok", true), mk("id", int64(2), "ok", false)}})
	tests := []struct {
		name string
		path string
		want any
	}{
		{name: "definite", path: "$.items[1].id", want: int64(2)},
		{name: "wildcard", path: "$.items[*].id", want: []any{int64(1), int64(2)}},
		{name: "missing", path: "$.items[5].id", want: nil},
		{name: "filter", path: "$.items[?(@.ok == true)].id", want: []any{int64(1)}},
		{name: "deep scan", path: "$..id", want: []any{int64(1), int64(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Get(doc, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Get(%q) = %#v, want %#v", tt.path, got, tt.want)
			}
		})
	}
}

func FuzzGet(f *testing.F) {
	for _, s := range []string{"$", "$.a", "$..b", "$.a[0]", "$.a[*].b", "$[?(@.a == 1)]", "a.b", "$['x']", "$.a[1:3]"} {
		f.Add(s, `{"a":[{"b":1},{"b":"x"}],"x":{"y":null}}`)
	}
	f.Fuzz(func(t *testing.T, path, doc string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			v = doc
		}
		p, err := Compile(path)
		if err != nil {
			return
		}
		got := p.Get(v)
		if !p.Definite() {
			if _, ok := got.([]any); !ok {
				t.Fatalf("indefinite %q returned %T, want []any", path, got)
			}
		}
	})
}
