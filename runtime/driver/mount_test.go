package driver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"github.com/onggi/onggi/internal/testbundle"
	"golang.org/x/sys/unix"
)

// mountCount is how many mounts sit exactly at target.
func mountCount(t *testing.T, target string) int {
	t.Helper()
	ms, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(target))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if m.Mountpoint == target {
			n++
		}
	}
	return n
}

func mkdirs(t *testing.T, base string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(base, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMountOverlay(t *testing.T) {
	testbundle.RequireRoot(t)
	dir := t.TempDir()
	mkdirs(t, dir, "l1", "l2", "upper", "work", "merged")
	if err := os.WriteFile(filepath.Join(dir, "l1/a"), []byte("lower"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "merged")
	t.Cleanup(func() { _ = UnmountRootfs(target) })
	ms := []Mount{{Type: "overlay", Source: "overlay", Options: []string{
		"lowerdir=" + filepath.Join(dir, "l2") + ":" + filepath.Join(dir, "l1"),
		"upperdir=" + filepath.Join(dir, "upper"), "workdir=" + filepath.Join(dir, "work")}}}
	for range 2 { // the second call finds it mounted
		if err := MountRootfs(target, ms); err != nil {
			t.Fatalf("mount: %v", err)
		}
	}
	if n := mountCount(t, target); n != 1 {
		t.Fatalf("%d mounts at target, want 1", n)
	}
	if data, err := os.ReadFile(filepath.Join(target, "a")); err != nil || string(data) != "lower" {
		t.Fatalf("read through overlay: %q, %v", data, err)
	}
	if err := os.WriteFile(filepath.Join(target, "b"), []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "upper/b")); err != nil {
		t.Errorf("write did not reach upperdir: %v", err)
	}
	for range 2 { // the second call finds nothing mounted
		if err := UnmountRootfs(target); err != nil {
			t.Fatalf("unmount: %v", err)
		}
	}
	if n := mountCount(t, target); n != 0 {
		t.Fatalf("%d mounts left at target", n)
	}
}

func TestMountReadOnlyBindAndStacked(t *testing.T) {
	testbundle.RequireRoot(t)
	dir := t.TempDir()
	mkdirs(t, dir, "src", "target")
	target := filepath.Join(dir, "target")
	t.Cleanup(func() { _ = UnmountRootfs(target) })
	if err := MountRootfs(target, []Mount{{Type: "bind", Source: filepath.Join(dir, "src"), Options: []string{"rbind", "ro"}}}); err != nil {
		t.Fatal(err)
	}
	err := os.WriteFile(filepath.Join(target, "x"), nil, 0o644)
	if !errors.Is(err, unix.EROFS) {
		t.Fatalf("write to read-only bind: %v, want EROFS", err)
	}
	// Something stacked on top (a leftover of a crashed run): all of it goes.
	if err := unix.Mount("tmpfs", target, "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := UnmountRootfs(target); err != nil {
		t.Fatal(err)
	}
	if n := mountCount(t, target); n != 0 {
		t.Fatalf("%d mounts left", n)
	}
}

func TestMountOptionsTooLong(t *testing.T) {
	testbundle.RequireRoot(t)
	target := t.TempDir()
	err := MountRootfs(target, []Mount{{Type: "overlay", Source: "overlay",
		Options: []string{"lowerdir=" + strings.Repeat("/x", os.Getpagesize())}}})
	if err == nil || !strings.Contains(err.Error(), "exceed a page") {
		t.Fatalf("err %v", err)
	}
}

func TestUnmountMissing(t *testing.T) {
	if err := UnmountRootfs(filepath.Join(t.TempDir(), "nope")); err != nil && os.Geteuid() == 0 {
		t.Fatal(err)
	}
}
