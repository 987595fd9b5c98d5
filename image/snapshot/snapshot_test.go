//go:build linux

package snapshot

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/image/errdefs"
	"github.com/onggi/onggi/internal/testbundle"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// layerTar builds a layer: files maps name → content ("" + name ending in
// "/" makes a dir; a ".wh." base name makes a whiteout).
func layerTar(t testing.TB, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		name, body, _ := strings.Cut(f, "=")
		h := &tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(body))}
		if strings.HasSuffix(name, "/") {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	return b.Bytes()
}

// image is a stack of layer tars and their diff IDs.
type image struct {
	tars    [][]byte
	diffIDs []digest.Digest
}

func newImage(tars ...[]byte) image {
	img := image{tars: tars}
	for _, t := range tars {
		img.diffIDs = append(img.diffIDs, digest.FromBytes(t))
	}
	return img
}

func (img image) open(i int) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(img.tars[i])), nil
}

func newSnapshotter(t *testing.T, driver string, opts ...Option) *Snapshotter {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "snapshots"), append(opts, WithDriver(driver))...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mountAll performs mounts on a temp dir the way the runtime would, and
// undoes them at cleanup.
func mountAll(t *testing.T, mounts []Mount) string {
	t.Helper()
	target := t.TempDir()
	for _, m := range mounts {
		var flags uintptr
		var data []string
		for _, o := range m.Options {
			switch o {
			case "rbind":
				flags |= unix.MS_BIND | unix.MS_REC
			case "ro":
				flags |= unix.MS_RDONLY
			case "rw":
			default:
				data = append(data, o)
			}
		}
		joined := strings.Join(data, ",")
		if len(joined) >= os.Getpagesize() {
			t.Fatalf("mount data is %d bytes, over a page", len(joined))
		}
		if err := unix.Mount(m.Source, filepath.Join(target, m.Target), m.Type, flags, joined); err != nil {
			t.Fatalf("mount %+v: %v", m, err)
		}
		t.Cleanup(func() { unix.Unmount(filepath.Join(target, m.Target), unix.MNT_DETACH) })
	}
	return target
}

func contents(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			out[rel] = "dir"
		} else if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		} else {
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

var small = newImage(
	layerTar(t0{}, "etc/", "etc/os=base", "bin/", "bin/sh=sh", "tmp/"),
	layerTar(t0{}, "etc/", "etc/.wh.os", "etc/hosts=h", "usr/", "usr/lib/", "usr/lib/a=a"),
	layerTar(t0{}, "usr/", "usr/lib/", "usr/lib/.wh..wh..opq", "usr/lib/b=b"),
)

var smallWant = map[string]string{"etc": "dir", "etc/hosts": "h", "bin": "dir", "bin/sh": "sh", "tmp": "dir",
	"usr": "dir", "usr/lib": "dir", "usr/lib/b": "b"}

// t0 lets package-level fixtures use layerTar.
type t0 struct{ testing.TB }

func (t0) Helper()           {}
func (t0) Fatal(args ...any) { panic(fmt.Sprint(args...)) }

func TestPrepareMountsMergedTree(t *testing.T) {
	testbundle.RequireRoot(t)
	for _, driver := range []string{DriverOverlay, DriverCopy} {
		t.Run(driver, func(t *testing.T) {
			s := newSnapshotter(t, driver)
			ctx := context.Background()
			if err := s.Unpack(ctx, small.diffIDs, small.open); err != nil {
				t.Fatal(err)
			}
			mounts, err := s.Prepare(ctx, "c1", small.diffIDs)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Prepare(ctx, "c1", small.diffIDs); !errors.Is(err, errdefs.ErrExists) {
				t.Fatalf("second Prepare: %v", err)
			}
			root := mountAll(t, mounts)
			if d := mapDiff(contents(t, root), smallWant); d != "" {
				t.Fatalf("mounted tree differs:\n%s", d)
			}
			// Write through the mount, then diff.
			must(t, os.WriteFile(filepath.Join(root, "etc/new"), []byte("n"), 0o644))
			must(t, os.Remove(filepath.Join(root, "bin/sh")))
			var b bytes.Buffer
			must(t, s.Diff(ctx, "c1", &b))
			names := tarNames(t, b.Bytes())
			if !names["etc/new"] || !names["bin/.wh.sh"] || names["usr/lib/b"] {
				t.Fatalf("diff entries %v", names)
			}
			if err := s.RemoveLayer(ctx, ChainIDs(small.diffIDs)[0]); !errors.Is(err, errdefs.ErrInUse) {
				t.Fatalf("RemoveLayer of a used layer: %v", err)
			}
		})
	}
}

func TestUnpackVerifiesDiffID(t *testing.T) {
	s := newSnapshotter(t, DriverCopy)
	bad := small
	bad.diffIDs = append([]digest.Digest{digest.FromString("other")}, small.diffIDs[1:]...)
	err := s.Unpack(context.Background(), bad.diffIDs, small.open)
	if !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("got %v", err)
	}
	if s.HasLayer(bad.diffIDs[0]) {
		t.Fatal("a layer with the wrong diff ID was kept")
	}
	layers, _ := s.Layers(context.Background())
	for _, l := range layers {
		if l.ChainID == bad.diffIDs[0] {
			t.Fatal("bad layer listed")
		}
	}
}

func TestRemoveAndRemoveLayer(t *testing.T) {
	s := newSnapshotter(t, DriverCopy, WithApplyOptions(applyOptsForUser()))
	ctx := context.Background()
	must(t, s.Unpack(ctx, small.diffIDs, small.open))
	_, err := s.Prepare(ctx, "c1", small.diffIDs)
	must(t, err)
	must(t, s.Remove(ctx, "c1"))
	if err := s.Remove(ctx, "c1"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("second Remove: %v", err)
	}
	for _, c := range ChainIDs(small.diffIDs) {
		must(t, s.RemoveLayer(ctx, c))
		if s.HasLayer(c) {
			t.Fatalf("layer %s still there", c)
		}
	}
	if _, err := s.Prepare(ctx, "bad/key", nil); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad key: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func tarNames(t testing.TB, data []byte) map[string]bool {
	tr := tar.NewReader(bytes.NewReader(data))
	out := map[string]bool{}
	for {
		h, err := tr.Next()
		if err != nil {
			return out
		}
		out[strings.TrimSuffix(h.Name, "/")] = true
	}
}

func isRoot() bool { return os.Geteuid() == 0 }

// TestCleanLeftovers fakes what kill -9 leaves mid-unpack and mid-Prepare:
// the snapshotter must ignore it, reuse the key, and Clean must remove it.
func TestCleanLeftovers(t *testing.T) {
	s := newSnapshotter(t, DriverCopy, WithApplyOptions(applyOptsForUser()))
	ctx := context.Background()
	chain := ChainIDs(small.diffIDs)[0]
	half := filepath.Join(s.root, "tmp", "layer-"+chain.Encoded()+"-123")
	must(t, os.MkdirAll(filepath.Join(half, "diff", "etc"), 0o755))
	must(t, os.MkdirAll(filepath.Join(s.root, "active", "dead"), 0o700))
	if s.HasLayer(chain) {
		t.Fatal("a half-unpacked layer counts as unpacked")
	}
	if list, _ := s.List(ctx); len(list) != 0 {
		t.Fatalf("a half-prepared snapshot is listed: %v", list)
	}
	n, err := s.Clean(ctx)
	must(t, err)
	if n != 2 {
		t.Fatalf("Clean removed %d leftovers, want 2", n)
	}
	if _, err := os.Stat(half); !os.IsNotExist(err) {
		t.Fatal("half-unpacked layer still there")
	}
	must(t, os.MkdirAll(filepath.Join(s.root, "active", "dead"), 0o700))
	must(t, s.Unpack(ctx, small.diffIDs, small.open))
	if _, err := s.Prepare(ctx, "dead", small.diffIDs); err != nil {
		t.Fatalf("Prepare over a dead snapshot's remains: %v", err)
	}
}
