package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// modulePath is the import path of this module.
const modulePath = "github.com/sentinel-dev/sentinel"

// TestAudit_packageTableOrder: docs/architecture.md, "Packages":
// "Dependencies point one way: down this table, never up, and nothing
// imports cmd/", and the table names every package (a subpackage goes with
// its parent's row, internal/… with the helpers' row, whose helpers no
// shipped package imports). Each package may import only the packages of
// the rows above its own.
func TestAudit_packageTableOrder(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.Index(text, "\n## Packages\n")
	if i < 0 {
		t.Fatal("docs/architecture.md has no ## Packages section")
	}
	text = text[i:]
	if j := strings.Index(text[1:], "\n## "); j >= 0 {
		text = text[:j+1]
	}
	var rows []string // the table's packages, top first
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllStringSubmatch(text, -1) {
		rows = append(rows, m[1])
	}
	if len(rows) < 10 {
		t.Fatalf("read %d rows from the Packages table: %q", len(rows), rows)
	}
	// row returns the table row a package belongs to, -1 for none.
	row := func(pkg string) int {
		best, at := -1, ""
		for i, r := range rows {
			if r == "internal/…" {
				if strings.HasPrefix(pkg, "internal/") && at == "" {
					best = i
				}
				continue
			}
			if (pkg == r || strings.HasPrefix(pkg, r+"/")) && len(r) > len(at) {
				best, at = i, r
			}
		}
		return best
	}
	helpers := slices.Index(rows, "internal/…")
	if helpers < 0 {
		t.Fatal("the Packages table has no internal/… row")
	}
	imports := packageImports(t, filepath.Join("..", ".."))
	for _, pkg := range slices.Sorted(maps.Keys(imports)) {
		r := row(pkg)
		if r < 0 {
			t.Errorf("package %s has no row in the Packages table", pkg)
			continue
		}
		shipped := !strings.HasPrefix(pkg, "internal/cmd/") && r != helpers
		for _, imp := range imports[pkg] {
			ir := row(imp)
			switch {
			case strings.HasPrefix(imp, "cmd/"):
				t.Errorf("%s imports %s: nothing imports cmd/", pkg, imp)
			case r == helpers || ir == r || strings.HasPrefix(pkg, "internal/cmd/"):
				// a helper or a tool, or within one row
			case ir == helpers:
				if shipped {
					t.Errorf("%s imports the helper %s: no shipped package imports the helpers", pkg, imp)
				}
			case ir > r:
				t.Errorf("%s (row %d) imports %s (row %d): dependencies point down the table, never up", pkg, r+1, imp, ir+1)
			}
		}
	}
}

// packageImports returns the module's packages under root (their paths
// within the module) and the module's packages each imports, from their
// non-test files.
func packageImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		for _, s := range f.Imports {
			p, err := strconv.Unquote(s.Path.Value)
			if err != nil {
				return err
			}
			if own, ok := strings.CutPrefix(p, modulePath+"/"); ok && !slices.Contains(out[pkg], own) {
				out[pkg] = append(out[pkg], own)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
