//go:build linux

package layer

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	"golang.org/x/sys/unix"
)

// threeLayers exercises whiteouts and opaque dirs across layers; want is
// the tree they stack up to.
var threeLayers = [][]ent{
	{dir("a/"), file("a/1", "1"), file("a/2", "2"), dir("a/sub/"), file("a/sub/x", "x"),
		dir("b/"), file("b/1", "b1"), file("c", "c"), file("d", "d"), dir("e/"), file("e/1", "e1")},
	{dir("a/"), whiteout("a/.wh.1"), dir("b/"), whiteout("b/.wh..wh..opq"), file("b/new", "new"),
		whiteout(".wh.c"), file("d", "d2"), dir("e/"), file("e/2", "e2"), dir("f/"), file("f/1", "f1")},
	{dir("a/"), file("a/1", "again"), whiteout(".wh.e"), dir("f/"), whiteout("f/.wh..wh..opq"), file("f/2", "f2"),
		dir("c/"), file("c/x", "cx")},
}

var threeLayersWant = map[string]string{
	"a": "dir", "a/1": "again", "a/2": "2", "a/sub": "dir", "a/sub/x": "x",
	"b": "dir", "b/new": "new", "c": "dir", "c/x": "cx", "d": "d2", "f": "dir", "f/2": "f2",
}

// contents maps each path below root to "dir", a file's content, or
// "-> target".
func contents(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.IsDir():
			out[rel] = "dir"
		case d.Type()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
		case d.Type().IsRegular():
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		default:
			out[rel] = fmt.Sprint(d.Type())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mapDiff(got, want map[string]string) string {
	var d []string
	for k, v := range want {
		if got[k] != v {
			d = append(d, fmt.Sprintf("%s: got %q want %q", k, got[k], v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%s: unexpected %q", k, v))
		}
	}
	return strings.Join(d, "\n")
}

func applyLayers(t *testing.T, layers [][]ent, wf WhiteoutFormat) []string {
	t.Helper()
	base := t.TempDir()
	var dirs []string
	for i, l := range layers {
		d := filepath.Join(base, fmt.Sprint(i))
		if _, err := Apply(context.Background(), d, bytes.NewReader(mkTar(t, l...)), Options{Whiteouts: wf, NoSameOwner: !isRoot()}); err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		dirs = append(dirs, d)
	}
	return dirs
}

func TestMergeWhiteoutsOCI(t *testing.T) {
	dirs := applyLayers(t, threeLayers, WhiteoutOCI)
	if _, err := os.Stat(filepath.Join(dirs[1], "b", WhiteoutOpaque)); err != nil {
		t.Fatalf("OCI format keeps the opaque marker: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "merged")
	if err := Merge(context.Background(), dst, dirs, Options{NoSameOwner: !isRoot()}); err != nil {
		t.Fatal(err)
	}
	if d := mapDiff(contents(t, dst), threeLayersWant); d != "" {
		t.Fatalf("merged tree differs:\n%s", d)
	}
}

func TestMergeWhiteoutsOverlayFormat(t *testing.T) {
	testbundle.RequireRoot(t)
	dirs := applyLayers(t, threeLayers, WhiteoutOverlay)
	fi, err := os.Lstat(filepath.Join(dirs[1], "c"))
	if err != nil || !isOverlayWhiteout(fi) {
		t.Fatalf("layer 1: c is not a whiteout device: %v %v", fi, err)
	}
	if !isOpaqueDir(filepath.Join(dirs[1], "b")) {
		t.Fatal("layer 1: b is not opaque")
	}
	dst := filepath.Join(t.TempDir(), "merged")
	if err := Merge(context.Background(), dst, dirs, Options{}); err != nil {
		t.Fatal(err)
	}
	if d := mapDiff(contents(t, dst), threeLayersWant); d != "" {
		t.Fatalf("merged tree differs:\n%s", d)
	}
}

// TestOverlayMountWhiteouts checks the layer directories against the
// kernel: overlayfs must see the same tree Merge builds.
func TestOverlayMountWhiteouts(t *testing.T) {
	testbundle.RequireRoot(t)
	dirs := applyLayers(t, threeLayers, WhiteoutOverlay)
	mnt := mountOverlay(t, []string{dirs[2], dirs[1], dirs[0]}, "", "")
	if d := mapDiff(contents(t, mnt), threeLayersWant); d != "" {
		t.Fatalf("overlay tree differs:\n%s", d)
	}
}

// mountOverlay mounts an overlay for the test (unmounted at cleanup).
func mountOverlay(t *testing.T, lowers []string, upper, work string) string {
	t.Helper()
	mnt := t.TempDir()
	data := "lowerdir=" + strings.Join(lowers, ":")
	if upper != "" {
		data += ",upperdir=" + upper + ",workdir=" + work
	}
	if len(lowers) == 1 && upper == "" {
		t.Fatal("overlay needs two lowers without an upper")
	}
	if err := unix.Mount("overlay", mnt, "overlay", 0, data); err != nil {
		t.Fatalf("mount overlay %s: %v", data, err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	return mnt
}

// TestDiffUpperRoundTrip changes files through an overlay mount, diffs the
// upper dir, and checks that applying the diff on the lowers gives the
// changed tree.
func TestDiffUpperRoundTrip(t *testing.T) {
	testbundle.RequireRoot(t)
	dirs := applyLayers(t, threeLayers, WhiteoutOverlay)
	upper, work := t.TempDir(), t.TempDir()
	mnt := mountOverlay(t, []string{dirs[2], dirs[1], dirs[0]}, upper, work)
	must(t, os.Remove(filepath.Join(mnt, "a/2")))
	must(t, os.RemoveAll(filepath.Join(mnt, "a/sub")))
	must(t, os.WriteFile(filepath.Join(mnt, "d"), []byte("d3"), 0o644))
	must(t, os.RemoveAll(filepath.Join(mnt, "b")))
	must(t, os.Mkdir(filepath.Join(mnt, "b"), 0o755)) // overlay makes it opaque
	must(t, os.WriteFile(filepath.Join(mnt, "b/only"), []byte("only"), 0o644))
	must(t, os.Symlink("d", filepath.Join(mnt, "ln")))
	want := contents(t, mnt)
	var tarBuf bytes.Buffer
	if err := Diff(context.Background(), dirs, upper, &tarBuf); err != nil {
		t.Fatal(err)
	}
	names := tarNames(t, tarBuf.Bytes())
	for _, n := range []string{"a/.wh.2", "a/.wh.sub", "b/.wh..wh..opq", "d", "b/only", "ln"} {
		if !names[n] {
			t.Errorf("diff lacks %q (has %v)", n, names)
		}
	}
	top := filepath.Join(t.TempDir(), "diff")
	if _, err := Apply(context.Background(), top, bytes.NewReader(tarBuf.Bytes()), Options{}); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(t.TempDir(), "merged")
	must(t, Merge(context.Background(), merged, append(append([]string{}, dirs...), top), Options{}))
	if d := mapDiff(contents(t, merged), want); d != "" {
		t.Fatalf("lowers + diff differ from the changed tree:\n%s", d)
	}
}

// TestDiffTreesRoundTrip: the copy snapshotter's diff, base → changed.
func TestDiffTreesRoundTrip(t *testing.T) {
	dirs := applyLayers(t, threeLayers, WhiteoutOCI)
	opts := Options{NoSameOwner: !isRoot()}
	base := filepath.Join(t.TempDir(), "base")
	must(t, Merge(context.Background(), base, dirs, opts))
	next := filepath.Join(t.TempDir(), "next")
	must(t, Merge(context.Background(), next, []string{base}, opts))
	must(t, os.RemoveAll(filepath.Join(next, "a")))
	must(t, os.WriteFile(filepath.Join(next, "a"), []byte("now a file"), 0o644))
	must(t, os.Remove(filepath.Join(next, "f/2")))
	must(t, os.WriteFile(filepath.Join(next, "d"), []byte("d3"), 0o644))
	must(t, os.MkdirAll(filepath.Join(next, "new/deep"), 0o755))
	want := contents(t, next)
	var tarBuf bytes.Buffer
	must(t, DiffTrees(context.Background(), base, next, &tarBuf))
	names := tarNames(t, tarBuf.Bytes())
	if names["b/new"] || names["c/x"] {
		t.Errorf("unchanged files are in the diff: %v", names)
	}
	top := filepath.Join(t.TempDir(), "top")
	if _, err := Apply(context.Background(), top, bytes.NewReader(tarBuf.Bytes()), Options{Whiteouts: WhiteoutOCI, NoSameOwner: !isRoot()}); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(t.TempDir(), "merged")
	must(t, Merge(context.Background(), merged, []string{base, top}, opts))
	if d := mapDiff(contents(t, merged), want); d != "" {
		t.Fatalf("base + diff differ from the changed tree:\n%s", d)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
