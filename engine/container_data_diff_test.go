package engine

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

func TestDiffKinds(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/motd", Typeflag: tar.TypeReg},
		{Name: "etc/.wh.passwd", Typeflag: tar.TypeReg},
		{Name: "new/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "new/file", Typeflag: tar.TypeReg},
		{Name: "var/.wh..wh..opq", Typeflag: tar.TypeReg},
	} {
		noErr(t, tw.WriteHeader(&h))
	}
	noErr(t, tw.Close())
	lower := map[string]bool{"/etc": true, "/etc/motd": true, "/etc/passwd": true, "/var": true}
	got, err := changesFromTar(&buf, func(p string) bool { return lower[p] })
	noErr(t, err)
	want := []ctypes.FilesystemChange{
		{Path: "/etc", Kind: ctypes.ChangeModify},
		{Path: "/etc/motd", Kind: ctypes.ChangeModify},
		{Path: "/etc/passwd", Kind: ctypes.ChangeDelete},
		{Path: "/new", Kind: ctypes.ChangeAdd},
		{Path: "/new/file", Kind: ctypes.ChangeAdd},
		{Path: "/var", Kind: ctypes.ChangeModify},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if ctypes.ChangeModify.String() != "C" || ctypes.ChangeAdd.String() != "A" || ctypes.ChangeDelete.String() != "D" {
		t.Fatal("kind codes")
	}
}

func TestExistsInLowers(t *testing.T) {
	top, bottom := t.TempDir(), t.TempDir()
	noErr(t, os.MkdirAll(filepath.Join(bottom, "etc"), 0o755))
	noErr(t, os.WriteFile(filepath.Join(bottom, "etc/a"), nil, 0o644))
	noErr(t, os.WriteFile(filepath.Join(bottom, "etc/b"), nil, 0o644))
	noErr(t, os.MkdirAll(filepath.Join(top, "etc"), 0o755))
	// The top layer deletes etc/b with an overlay whiteout (needs root) or
	// an AUFS-style .wh. file.
	if err := unix.Mknod(filepath.Join(top, "etc/b"), unix.S_IFCHR, 0); err != nil {
		noErr(t, os.WriteFile(filepath.Join(top, "etc/.wh.b"), nil, 0o644))
	}
	// A symlinked parent in a layer resolves inside that layer.
	noErr(t, os.Symlink("/", filepath.Join(top, "root")))
	lowers := []string{top, bottom}
	for p, want := range map[string]bool{"/etc/a": true, "/etc/b": false, "/etc/c": false, "/etc": true, "/root/etc/a": false} {
		if got := existsInLowers(lowers, p); got != want {
			t.Errorf("%s: %v, want %v", p, got, want)
		}
	}
}

func TestDiffHidesInitLayer(t *testing.T) {
	in := []ctypes.FilesystemChange{
		{Path: "/dev", Kind: ctypes.ChangeAdd},
		{Path: "/dev/shm", Kind: ctypes.ChangeAdd},
		{Path: "/etc", Kind: ctypes.ChangeModify},
		{Path: "/etc/hostname", Kind: ctypes.ChangeAdd},
		{Path: "/etc/hosts", Kind: ctypes.ChangeAdd},
		{Path: "/tmp", Kind: ctypes.ChangeModify},
		{Path: "/tmp/x", Kind: ctypes.ChangeAdd},
		{Path: "/vol", Kind: ctypes.ChangeAdd},
	}
	got := hideMountpoints(in)
	want := []string{"/tmp", "/tmp/x", "/vol"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].Path != want[i] {
			t.Fatalf("got %v", got)
		}
	}
	// A real change beside an init file keeps its directory.
	got = hideMountpoints([]ctypes.FilesystemChange{
		{Path: "/etc", Kind: ctypes.ChangeModify},
		{Path: "/etc/hosts", Kind: ctypes.ChangeAdd},
		{Path: "/etc/motd", Kind: ctypes.ChangeAdd},
	})
	if len(got) != 2 || got[0].Path != "/etc" || got[1].Path != "/etc/motd" {
		t.Fatalf("got %v", got)
	}
}
