package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestServicesDoNotImportEachOther keeps the rule of STYLE.md checkable: a service imports pkg
// and libraries, never another service; only cmd/portico wires them together.
func TestServicesDoNotImportEachOther(t *testing.T) {
	root := filepath.Join("..", "..", "services")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "github.com/portico/portico/services/"
	checked := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		self := e.Name()
		err := filepath.WalkDir(filepath.Join(root, self), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			checked++
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if rest, ok := strings.CutPrefix(p, prefix); ok && strings.SplitN(rest, "/", 2)[0] != self {
					t.Errorf("%s imports %s: services never import each other", path, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked == 0 {
		t.Fatal("no service source files found")
	}
}
