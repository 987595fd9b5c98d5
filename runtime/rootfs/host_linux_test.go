package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestUnmountHostSymlinkSwap: after the setup, the container renames a
// directory holding one of its mounts and puts a symlink to a host
// directory in its place, where the host has a mount at the same relative
// path. UnmountHost must take down the container's mounts and leave the
// host's. Runs in a private mount namespace standing in for the host's.
func TestUnmountHostSymlinkSwap(t *testing.T) {
	rootfs := newRootfs(t)
	dir := filepath.Dir(rootfs)
	victim := filepath.Join(dir, "victim")
	if err := os.MkdirAll(filepath.Join(victim, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := minimalSpec(specs.Mount{Destination: "/a/b", Type: "tmpfs", Source: "tmpfs"})
	inMountNS(t, dir, 0, func(t *testing.T) {
		if err := unix.Mount("tmpfs", filepath.Join(victim, "b"), "tmpfs", 0, ""); err != nil {
			t.Fatal(err)
		}
		snap, err := SnapshotMounts()
		if err != nil {
			t.Fatal(err)
		}
		if err := PrepareInHost(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		ms, err := snap.NewMounts(rootfs)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) < 2 || ms[0].Path != "/" {
			t.Fatalf("recorded mounts %+v, want the rootfs bind first and /a/b", ms)
		}
		// The container's move: /a -> /a2, /a a symlink to the host's victim.
		if err := os.Rename(filepath.Join(rootfs, "a"), filepath.Join(rootfs, "a2")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, filepath.Join(rootfs, "a")); err != nil {
			t.Fatal(err)
		}
		if err := UnmountHost(rootfs, ms); err != nil {
			t.Fatalf("UnmountHost: %v", err)
		}
		if !isMountPoint(t, filepath.Join(victim, "b")) {
			t.Error("the host's mount behind the symlink was unmounted")
		}
		if left, _ := SnapshotMounts(); len(left) > 0 {
			if now, _ := snap.NewMounts(rootfs); len(now) > 0 {
				t.Errorf("mounts left under the rootfs: %+v", now)
			}
		}
	})
}

// TestPrepareInHostKeepsParent: the parent mount of the rootfs is shared;
// PrepareInHost must leave it shared (pivot_root's requirement of a
// private parent does not apply) and its bind must not be shared.
func TestPrepareInHostKeepsParent(t *testing.T) {
	rootfs := newRootfs(t)
	dir := filepath.Dir(rootfs)
	spec := minimalSpec(specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"})
	inMountNS(t, dir, 0, func(t *testing.T) {
		if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("", dir, "", unix.MS_SHARED, ""); err != nil {
			t.Fatal(err)
		}
		parentBefore := threadMount(t, dir).Optional
		snap, err := SnapshotMounts()
		if err != nil {
			t.Fatal(err)
		}
		if err := PrepareInHost(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		if got := threadMount(t, dir).Optional; got != parentBefore {
			t.Errorf("parent propagation %q, was %q", got, parentBefore)
		}
		if opt := threadMount(t, rootfs).Optional; strings.Contains(opt, "shared:") {
			t.Errorf("rootfs bind propagation %q, want it not shared", opt)
		}
		ms, err := snap.NewMounts(rootfs)
		if err != nil {
			t.Fatal(err)
		}
		if err := UnmountHost(rootfs, ms); err != nil {
			t.Fatal(err)
		}
		if isMountPoint(t, rootfs) {
			t.Error("rootfs bind still mounted")
		}
	})
}
