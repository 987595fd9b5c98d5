//go:build linux

package image

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/image/snapshot"
	"github.com/onggi/onggi/internal/testbundle"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// TestPrepareCommit is the container life cycle as the engine drives it:
// prepare a rootfs from an image, mount it (as the runtime would), change
// it, diff it into a new layer, create an image from that, and check the
// new image's rootfs shows the change — with both drivers.
func TestPrepareCommit(t *testing.T) {
	testbundle.RequireRoot(t)
	for _, driver := range []string{"overlay", "copy"} {
		t.Run(driver, func(t *testing.T) {
			s, err := Open(filepath.Join(t.TempDir(), "image"), WithSnapshotter(driver))
			must(t, err)
			ctx := context.Background()
			base := makeImage(t, s, map[string]string{"etc/motd": "hi", "bin/tool": "v1"}, "base")
			mounts, err := s.Prepare(ctx, "c1", base)
			must(t, err)
			root := mount(t, mounts)
			must(t, os.WriteFile(filepath.Join(root, "bin/tool"), []byte("v2"), 0o755))
			must(t, os.Remove(filepath.Join(root, "etc/motd")))
			unix.Unmount(root, unix.MNT_DETACH)

			lease, err := s.Lease(ctx)
			must(t, err)
			desc, diffID, err := s.WriteLayer(ctx, layer.Gzip, func(w io.Writer) error { return s.Snapshots().Diff(ctx, "c1", w) })
			must(t, err)
			cfg := base.Config
			cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, diffID)
			img, err := s.Create(ctx, CreateOptions{Config: cfg, Layers: append(append([]ocispec.Descriptor{}, base.Manifest.Layers...), desc)}, "committed")
			lease.Unlock()
			must(t, err)
			must(t, s.Snapshots().Remove(ctx, "c1"))

			m2, err := s.Prepare(ctx, "c2", img)
			must(t, err)
			root2 := mount(t, m2)
			b, err := os.ReadFile(filepath.Join(root2, "bin/tool"))
			if err != nil || string(b) != "v2" {
				t.Fatalf("bin/tool = %q %v", b, err)
			}
			if _, err := os.Stat(filepath.Join(root2, "etc/motd")); !os.IsNotExist(err) {
				t.Fatalf("etc/motd survived its deletion: %v", err)
			}
		})
	}
}

func mount(t *testing.T, mounts []snapshot.Mount) string {
	t.Helper()
	target := t.TempDir()
	for _, m := range mounts {
		var flags uintptr
		var data []string
		for _, o := range m.Options {
			switch o {
			case "rbind":
				flags |= unix.MS_BIND | unix.MS_REC
			case "rw":
			case "ro":
				flags |= unix.MS_RDONLY
			default:
				data = append(data, o)
			}
		}
		if err := unix.Mount(m.Source, target, m.Type, flags, strings.Join(data, ",")); err != nil {
			t.Fatalf("mount %+v: %v", m, err)
		}
		t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
	}
	return target
}
