//go:build linux

package snapshot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	"golang.org/x/sys/unix"
)

// TestFallbackToCopyOnOverlay puts the snapshot root on an overlayfs (as
// when onggi runs in a container): the kernel refuses an overlay upper dir
// there, so the snapshotter must pick the copy driver, say so once, record
// it, and still produce a working rootfs.
func TestFallbackToCopyOnOverlay(t *testing.T) {
	testbundle.RequireRoot(t)
	base := t.TempDir()
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		must(t, os.Mkdir(filepath.Join(base, d), 0o755))
	}
	merged := filepath.Join(base, "merged")
	data := "lowerdir=" + filepath.Join(base, "lower") + ",upperdir=" + filepath.Join(base, "upper") + ",workdir=" + filepath.Join(base, "work")
	must(t, unix.Mount("overlay", merged, "overlay", 0, data))
	t.Cleanup(func() { unix.Unmount(merged, unix.MNT_DETACH) })

	var notices []string
	logf := func(f string, args ...any) { notices = append(notices, f) }
	root := filepath.Join(merged, "snapshots")
	s, err := New(root, WithLogf(logf))
	must(t, err)
	if s.Driver() != DriverCopy {
		t.Fatalf("driver %q on an overlay root, want copy", s.Driver())
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "copy snapshotter") {
		t.Fatalf("notices %q, want one about the fallback", notices)
	}
	s2, err := New(root, WithLogf(logf))
	must(t, err)
	if s2.Driver() != DriverCopy || len(notices) != 1 {
		t.Fatalf("second open: driver %q, %d notices (want the recorded choice, silently)", s2.Driver(), len(notices))
	}
	ctx := context.Background()
	must(t, s2.Unpack(ctx, small.diffIDs, small.open))
	mounts, err := s2.Prepare(ctx, "c", small.diffIDs)
	must(t, err)
	if d := mapDiff(contents(t, mountAll(t, mounts)), smallWant); d != "" {
		t.Fatalf("copy rootfs differs:\n%s", d)
	}
}

func TestDetectOverlayOnPlainFS(t *testing.T) {
	testbundle.RequireRoot(t)
	s := newSnapshotter(t, "")
	if s.Driver() != DriverOverlay {
		t.Fatalf("driver %q on a plain filesystem, want overlay", s.Driver())
	}
	if _, err := New(s.root, WithDriver(DriverCopy)); err == nil {
		t.Fatal("switching a root's driver must be refused")
	}
}
