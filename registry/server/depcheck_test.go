package server

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the server usable alone: the standard library,
// x/crypto, go-digest and image-spec, and its own subpackages, nothing else.
func TestDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go toolchain not in PATH")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/onggi/onggi/registry/server",
		"golang.org/x/crypto/",
		"github.com/opencontainers/go-digest",
		"github.com/opencontainers/image-spec/",
	}
	for _, pkg := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(pkg, a)
		}
		if !ok {
			t.Errorf("registry/server depends on %s", pkg)
		}
	}
}
