package route

import (
	"errors"
	"reflect"
	"testing"
)

func table(t *testing.T, routes ...[2]string) *Table[string] {
	t.Helper()
	var tb Table[string]
	for _, r := range routes {
		if err := tb.Add(r[0], r[1], r[0]+" "+r[1]); err != nil {
			t.Fatalf("Add(%q, %q) = %v", r[0], r[1], err)
		}
	}
	return &tb
}

func TestLookup(t *testing.T) {
	tb := table(t,
		[2]string{"GET", "/"},
		[2]string{"GET", "/pets"},
		[2]string{"POST", "/pets"},
		[2]string{"GET", "/pets/{id}"},
		[2]string{"GET", "/pets/mine"},
		[2]string{"ANY", "/pets/{id}/toys"},
		[2]string{"DELETE", "/pets/{id}/toys"},
		[2]string{"ANY", "/files/{proxy+}"},
		[2]string{"GET", "/files/special/{name}"},
		[2]string{"ANY", "/{proxy+}"},
	)
	tests := []struct {
		name, method, path string
		want               string
		params             []Param
		found              bool
	}{
		{"root", "GET", "/", "GET /", nil, true},
		{"literal", "GET", "/pets", "GET /pets", nil, true},
		{"method", "POST", "/pets", "POST /pets", nil, true},
		{"literal beats param", "GET", "/pets/mine", "GET /pets/mine", nil, true},
		{"param", "GET", "/pets/42", "GET /pets/{id}", []Param{{"id", "42"}}, true},
		{"param decoded", "GET", "/pets/a%20b", "GET /pets/{id}", []Param{{"id", "a b"}}, true},
		{"any", "PUT", "/pets/1/toys", "ANY /pets/{id}/toys", []Param{{"id", "1"}}, true},
		{"exact beats any", "DELETE", "/pets/1/toys", "DELETE /pets/{id}/toys", []Param{{"id", "1"}}, true},
		{"greedy", "GET", "/files/a/b/c.txt", "ANY /files/{proxy+}", []Param{{"proxy", "a/b/c.txt"}}, true},
		{"param beats greedy", "GET", "/files/special/x", "GET /files/special/{name}", []Param{{"name", "x"}}, true},
		{"backtrack to greedy", "GET", "/files/special/x/y", "ANY /files/{proxy+}", []Param{{"proxy", "special/x/y"}}, true},
		{"method miss falls to greedy", "POST", "/pets/42", "ANY /{proxy+}", []Param{{"proxy", "pets/42"}}, true},
		{"root greedy", "GET", "/zzz", "ANY /{proxy+}", []Param{{"proxy", "zzz"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, found := tb.Lookup(tt.method, tt.path)
			if found != tt.found || m.Value != tt.want || !reflect.DeepEqual(m.Params, tt.params) {
				t.Errorf("Lookup(%q, %q) = %q %v %v, want %q %v %v", tt.method, tt.path, m.Value, m.Params, found, tt.want, tt.params, tt.found)
			}
		})
	}
}

func TestEach(t *testing.T) {
	tb := table(t, [2]string{"GET", "/"}, [2]string{"GET", "/a/{id}"}, [2]string{"ANY", "/a/{id}"}, [2]string{"POST", "/b/{proxy+}"})
	seen := map[string]bool{}
	tb.Each(func(method, template, v string) {
		if v != method+" "+template {
			t.Errorf("Each gave %q for %s %s", v, method, template)
		}
		seen[v] = true
	})
	if len(seen) != 4 {
		t.Errorf("Each visited %v, want 4 routes", seen)
	}
}

func TestLookupMiss(t *testing.T) {
	tb := table(t, [2]string{"GET", "/pets/{id}"}, [2]string{"GET", "/a/{proxy+}"})
	for _, c := range [][2]string{{"GET", "/"}, {"GET", "/pets"}, {"POST", "/pets/1"}, {"GET", "/pets/1/x"}, {"GET", "/a"}, {"GET", "/a/"}, {"GET", "/pets//"}} {
		if m, found := tb.Lookup(c[0], c[1]); found {
			t.Errorf("Lookup(%q, %q) = %q, want no match", c[0], c[1], m.Value)
		}
	}
}

func TestAddErrors(t *testing.T) {
	bad := []string{"", "pets", "/pets/", "//", "/{id", "/a{b}", "/{proxy+}/x", "/{}", "/{a b}"}
	for _, p := range bad {
		var tb Table[int]
		if err := tb.Add("GET", p, 1); err == nil {
			t.Errorf("Add(%q) = nil, want error", p)
		}
	}
	var tb Table[int]
	if err := tb.Add("GET", "/a/{id}", 1); err != nil {
		t.Fatal(err)
	}
	if err := tb.Add("GET", "/a/{id}", 2); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate Add = %v, want ErrConflict", err)
	}
	if err := tb.Add("POST", "/a/{name}", 2); !errors.Is(err, ErrConflict) {
		t.Errorf("renamed parameter Add = %v, want ErrConflict", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/", "/pets/{id}", "/a/{proxy+}", "/{a}/{b}/c", "/x{", "//"} {
		f.Add(s, "/pets/1")
	}
	f.Fuzz(func(t *testing.T, tmpl, path string) {
		segs, err := Parse(tmpl)
		if err != nil {
			return
		}
		for _, s := range segs {
			if s.Text == "" {
				t.Fatalf("Parse(%q) gave an empty segment", tmpl)
			}
		}
		var tb Table[int]
		if err := tb.Add("GET", tmpl, 7); err != nil {
			t.Fatalf("Add(%q) = %v after Parse succeeded", tmpl, err)
		}
		if m, ok := tb.Lookup("GET", path); ok && m.Value != 7 {
			t.Fatalf("Lookup(%q) = %d", path, m.Value)
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	var tb Table[int]
	for i, p := range []string{"/", "/pets", "/pets/{id}", "/pets/{id}/toys", "/users/{uid}/orders/{oid}", "/files/{proxy+}"} {
		if err := tb.Add("GET", p, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tb.Lookup("GET", "/users/7/orders/9"); !ok {
			b.Fatal("miss")
		}
	}
}
