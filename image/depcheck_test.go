package image

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDependencies keeps image/ a leaf subsystem (DESIGN.md): its code may
// import other image/ packages and the project-wide error classes (errdefs,
// a leaf) but no other part of onggi; tests may also use internal/testbundle.
func TestDependencies(t *testing.T) {
	const mod = "github.com/onggi/onggi/"
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
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
			rest, ok := strings.CutPrefix(p, mod)
			if !ok || rest == "image" || strings.HasPrefix(rest, "image/") || rest == "errdefs" {
				continue
			}
			if strings.HasSuffix(path, "_test.go") && rest == "internal/testbundle" {
				continue
			}
			t.Errorf("%s imports %s: image/ must not depend on other onggi subsystems", path, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d files checked", checked)
	}
}
