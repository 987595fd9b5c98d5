//go:build linux

package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	digest "github.com/opencontainers/go-digest"
)

// TestTarRoundTrip: Tar of a tree, applied elsewhere, reproduces it
// exactly (types, modes, owners, times, links, devices, xattrs), and
// tarring the same tree twice gives the same digest.
func TestTarRoundTrip(t *testing.T) {
	testbundle.RequireRoot(t)
	suid := file("bin/su", "#!")
	suid.mode, suid.uid, suid.gid = 0o4755, 0, 0
	owned := file("home/u/f", "data")
	owned.uid, owned.gid, owned.mode = 1000, 1001, 0o600
	xf := file("x", "x")
	xf.xattrs = map[string]string{"user.k": "v"}
	chr := ent{name: "dev/null", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 3}
	src := filepath.Join(t.TempDir(), "src")
	_, err := Apply(context.Background(), src, bytes.NewReader(mkTar(t, dir("bin/"), suid, dir("home/"), dir("home/u/"), owned, xf,
		symlink("lnk", "bin/su"), hardlink("hl", "home/u/f"), dir("dev/"), chr, dir("empty/"))), Options{})
	must(t, err)
	var a, b bytes.Buffer
	must(t, Tar(context.Background(), src, &a))
	must(t, Tar(context.Background(), src, &b))
	if digest.FromBytes(a.Bytes()) != digest.FromBytes(b.Bytes()) {
		t.Fatal("tarring the same tree twice gave different bytes")
	}
	dst := filepath.Join(t.TempDir(), "dst")
	_, err = Apply(context.Background(), dst, bytes.NewReader(a.Bytes()), Options{})
	must(t, err)
	before, after := treeState(t, src, true), treeState(t, dst, true)
	delete(before, ".")
	delete(after, ".")
	if d := diffStates(before, after); d != "" {
		t.Fatalf("round trip changed the tree:\n%s", d)
	}
	if fi, _ := os.Stat(filepath.Join(dst, "hl")); fi == nil {
		t.Fatal("hard link lost")
	}
}
