//go:build linux

package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/image/errdefs"
)

// TestApplyRejectsEscapes applies a corpus of malicious layers, one per
// known escape, next to "host" files and checks that each is refused with
// ErrInvalid and that nothing outside the layer directory changed.
func TestApplyRejectsEscapes(t *testing.T) {
	host := t.TempDir()
	outsideFile := filepath.Join(host, "outside", "secret")
	outsideDir := filepath.Join(host, "outside")
	// The layer dir sits two levels down so "../" and "../../" both land
	// on files we watch.
	layerDir := func(t *testing.T) string {
		return filepath.Join(host, "layers", t.Name()[len("TestApplyRejectsEscapes/"):])
	}
	chr := ent{name: "evil/null", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 3}
	chmodDir := dir("evil/")
	chmodDir.mode = 0o777
	cases := []struct {
		name    string
		entries []ent
	}{
		{"absolute", []ent{file(filepath.Join(host, "outside", "abs"), "x")}},
		{"dotdot", []ent{file("../../outside/dotdot", "x")}},
		{"dotdot-middle", []ent{dir("a/"), file("a/../../../outside/mid", "x")}},
		{"symlink-then-write", []ent{symlink("evil", outsideDir), file("evil/secret", "owned")}},
		{"symlink-relative-then-write", []ent{symlink("evil", "../../outside"), file("evil/new", "owned")}},
		{"symlinked-parent-mkdir", []ent{symlink("evil", outsideDir), dir("evil/sub/"), file("evil/sub/f", "x")}},
		{"symlink-chain", []ent{dir("a/"), symlink("a/b", "../.."), symlink("c", "a/b/.."), file("c/outside/secret", "x")}},
		{"hardlink-outside-absolute", []ent{hardlink("hl", outsideFile)}},
		{"hardlink-outside-dotdot", []ent{hardlink("hl", "../../outside/secret")}},
		{"hardlink-through-symlink", []ent{symlink("evil", outsideDir), hardlink("hl", "evil/secret")}},
		{"whiteout-through-symlink", []ent{symlink("evil", outsideDir), whiteout("evil/.wh.secret")}},
		{"opaque-through-symlink", []ent{symlink("evil", outsideDir), whiteout("evil/.wh..wh..opq")}},
		{"whiteout-dotdot", []ent{whiteout("../../outside/.wh.secret")}},
		{"device-through-symlink", []ent{symlink("evil", outsideDir), chr}},
		{"chmod-through-symlinked-parent", []ent{symlink("evil", outsideDir), chmodDir, file("evil/secret", "x")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			writeHost(t, host)
			before := treeState(t, host, true)
			dst := layerDir(t)
			_, err := Apply(context.Background(), dst, bytes.NewReader(mkTar(t, c.entries...)), Options{NoSameOwner: !isRoot(), NoDevices: !isRoot()})
			after := treeState(t, host, true)
			for _, m := range []map[string]string{before, after} {
				for k := range m { // the layers dir itself is allowed to change
					if k == "layers" || strings.HasPrefix(k, "layers/") {
						delete(m, k)
					}
				}
			}
			if len(before) < 3 {
				t.Fatalf("host tree snapshot is empty: %v", before)
			}
			if d := diffStates(before, after); d != "" {
				t.Errorf("host tree changed:\n%s", d)
			}
			if c.name == "chmod-through-symlinked-parent" {
				// Replacing a symlink by a directory is what tar does; it is
				// safe as long as the mode lands on the new directory.
				if err != nil {
					t.Fatalf("replacing a symlink by a dir: %v", err)
				}
				fi, err := os.Lstat(filepath.Join(dst, "evil"))
				if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o777 {
					t.Fatalf("evil: %v %v, want a 0777 directory", fi, err)
				}
				return
			}
			if !errors.Is(err, errdefs.ErrInvalid) {
				t.Fatalf("got %v, want an ErrInvalid refusal", err)
			}
			t.Logf("refused: %v", err)
		})
	}
}

// writeHost (re)creates the files an escaping layer would hit.
func writeHost(t *testing.T, host string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(host, "outside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(host, "outside", "secret"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(filepath.Join(host, "outside", "secret"), testTime, testTime)
	os.Chtimes(filepath.Join(host, "outside"), testTime, testTime)
	os.MkdirAll(filepath.Join(host, "layers"), 0o755)
}
