package vtl

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenVars are the request data every golden template runs with; the
// body comes from NAME.json.
func goldenVars(body []byte) *Vars {
	return &Vars{
		Body:           body,
		Path:           map[string]string{"id": "42"},
		Query:          map[string]string{"q": `a "b"`},
		Header:         map[string]string{"Accept": "*/*", "Host": "example.com"},
		Context:        map[string]any{"requestId": "req-123", "stage": "prod"},
		StageVariables: map[string]string{"table": "pets-prod"},
	}
}

// TestGolden renders testdata/golden/NAME.vtl with NAME.json as the body
// and compares with NAME.out: the examples of the API Gateway developer
// guide (pets, photos, all parameters) and a request template.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.vtl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden templates: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".vtl")
		t.Run(name, func(t *testing.T) {
			src := read(t, f)
			body := read(t, strings.TrimSuffix(f, ".vtl")+".json")
			want := read(t, strings.TrimSuffix(f, ".vtl")+".out")
			tp, err := Compile(src)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := tp.Render(context.Background(), goldenVars([]byte(body)))
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Render(%s) =\n%s\nwant\n%s", name, got, want)
			}
		})
	}
}

func read(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
