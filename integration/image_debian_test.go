package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
)

// TestImageBootstrapDebian builds debian:bookworm with debootstrap from the
// host's apt mirror (about a minute), then checks that a second bootstrap
// is served from the cache (same image ID: a rebuild would get a new
// creation time) and that the tree is a usable, tidy Debian.
func TestImageBootstrapDebian(t *testing.T) {
	testbundle.RequireRoot(t)
	imageRequireTool(t, "debootstrap")
	c := newImageCLI(t)
	first := strings.Fields(c.ok("image", "bootstrap", "debian:bookworm"))
	second := strings.Fields(c.ok("image", "bootstrap", "debian:bookworm"))
	if first[len(first)-1] != second[len(second)-1] {
		t.Fatalf("second bootstrap rebuilt: %v vs %v", first, second)
	}
	img := c.inspect("debian:bookworm")
	if img.Config["Cmd"].([]any)[0] != "bash" {
		t.Errorf("Cmd %v", img.Config["Cmd"])
	}
	dir := filepath.Join(t.TempDir(), "rootfs")
	c.ok("image", "unpack", "debian:bookworm", dir)
	for _, p := range []string{"usr/bin/bash", "usr/bin/apt-get", "etc/debian_version", "etc/apt/sources.list.d/debian.sources"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("image lacks %s: %v", p, err)
		}
	}
	for _, empty := range []string{"dev", "proc", "sys"} {
		if ents, _ := os.ReadDir(filepath.Join(dir, empty)); len(ents) != 0 {
			t.Errorf("/%s not empty: %d entries", empty, len(ents))
		}
	}
	if debs, _ := filepath.Glob(filepath.Join(dir, "var/cache/apt/archives/*.deb")); len(debs) != 0 {
		t.Errorf("%d .deb files left in the image", len(debs))
	}
}
