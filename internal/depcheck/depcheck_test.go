package depcheck

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/onggi/onggi/"

// forbidden maps a package-path prefix (relative to the module) to the
// onggi prefixes it must never import, directly or not.
var forbidden = map[string][]string{
	"runtime":         {"image", "builder", "network", "volume", "registry", "compose", "api", "cli", "engine", "monitor"},
	"image":           {"runtime", "builder", "network", "volume", "registry", "compose", "api", "cli", "engine", "monitor"},
	"registry/server": {"runtime", "image", "builder", "network", "volume", "registry/client", "compose", "api", "cli", "engine", "monitor"},
	"registry/client": {"runtime", "builder", "network", "volume", "compose", "api", "cli", "engine", "monitor"},
	"engine":          {"cli", "api", "compose"},
	"network":         {"runtime", "image", "builder", "cli", "api", "compose", "engine"},
	"volume":          {"runtime", "image", "builder", "cli", "api", "compose", "engine"},
	"builder":         {"cli", "api", "compose", "engine"},
	"container":       {"engine", "monitor", "image", "builder", "network", "volume", "registry", "compose", "api", "cli"},
	"monitor":         {"engine", "image", "builder", "network", "volume", "registry", "compose", "api", "cli"},
	"errdefs":         {"runtime", "image", "container", "monitor", "builder", "network", "volume", "registry", "compose", "api", "cli", "engine"},
}

type pkg struct {
	ImportPath string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Deps", "github.com/onggi/onggi/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func within(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func TestLayering(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, module)
		for layer, banned := range forbidden {
			if !within(rel, layer) {
				continue
			}
			for _, dep := range p.Deps {
				if !strings.HasPrefix(dep, module) {
					continue
				}
				drel := strings.TrimPrefix(dep, module)
				for _, b := range banned {
					if within(drel, b) && !within(drel, layer) {
						t.Errorf("%s imports %s: %s must not depend on %s", rel, drel, layer, b)
					}
				}
			}
		}
	}
}

// TestServerPortable keeps the registry server buildable on any OS: it may
// use only the standard library, x/crypto and the OCI/digest types.
func TestServerPortable(t *testing.T) {
	allowed := []string{"golang.org/x/crypto", "github.com/opencontainers/go-digest", "github.com/opencontainers/image-spec", module + "registry/server"}
	for _, p := range listPackages(t) {
		if !within(strings.TrimPrefix(p.ImportPath, module), "registry/server") {
			continue
		}
		for _, dep := range p.Deps {
			if !strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") {
				continue // standard library
			}
			ok := false
			for _, a := range allowed {
				if strings.HasPrefix(dep, a) {
					ok = true
				}
			}
			if !ok && !strings.HasPrefix(dep, "golang.org/x/sys") {
				t.Errorf("%s depends on %s", p.ImportPath, dep)
			}
		}
	}
}
