package fscopy

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCopyKeepsXattrs(t *testing.T) {
	requireRoot(t)
	stage := t.TempDir()
	mkTree(t, stage, map[string]string{"bin/ping": "ELF"})
	src := filepath.Join(stage, "bin/ping")
	if err := unix.Lsetxattr(src, "user.onggi", []byte("v1"), 0); err != nil {
		t.Skipf("no user xattrs here: %v", err)
	}
	// trusted.overlay.* must never be copied (it would make whiteouts).
	unix.Lsetxattr(src, "trusted.overlay.opaque", []byte("y"), 0)
	before, err := Checksum(Source{Root: stage}, Options{Srcs: []string{"bin"}, Dest: "/b/"})
	if err != nil {
		t.Fatal(err)
	}
	dest := newRootfs(t)
	if err := Copy(dest, Source{Root: stage}, Options{Srcs: []string{"bin"}, Dest: "/b/", Chown: "1:1"}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := unix.Lgetxattr(filepath.Join(dest, "b/ping"), "user.onggi", buf)
	if err != nil || string(buf[:n]) != "v1" {
		t.Fatalf("user.onggi = %q, %v", buf[:n], err)
	}
	if _, err := unix.Lgetxattr(filepath.Join(dest, "b/ping"), "trusted.overlay.opaque", buf); err == nil {
		t.Fatal("trusted.overlay.opaque copied")
	}
	unix.Lsetxattr(src, "user.onggi", []byte("v2"), 0)
	after, _ := Checksum(Source{Root: stage}, Options{Srcs: []string{"bin"}, Dest: "/b/"})
	if after == before {
		t.Fatal("an xattr change kept the checksum")
	}
}
