package bootstrap

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/onggi/onggi/image/content"
)

func newStore(t *testing.T) *content.Store {
	t.Helper()
	s, err := content.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBusyboxReproducible(t *testing.T) {
	if _, err := os.Stat(BusyboxBinary); err != nil {
		t.Skip("busybox-static not installed (apt-get install busybox-static)")
	}
	ctx := context.Background()
	a, err := Busybox(ctx, newStore(t), "")
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	b, err := Busybox(ctx, s, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Manifest.Digest != b.Manifest.Digest || a.Config.Digest != b.Config.Digest {
		t.Fatalf("two bootstraps differ: %s/%s vs %s/%s", a.Manifest.Digest, a.Config.Digest, b.Manifest.Digest, b.Config.Digest)
	}
	checkBusyboxLayer(t, s, b.Manifest.Digest.String())
}

// checkBusyboxLayer reads the single layer back and checks its key entries.
func checkBusyboxLayer(t *testing.T, s *content.Store, manifest string) {
	t.Helper()
	info, err := ProbeBusybox(BusyboxBinary)
	if err != nil {
		t.Fatal(err)
	}
	var layerDigest string
	s.Walk(func(i content.Info) error {
		if i.Size > 1<<20 {
			layerDigest = i.Digest.String()
		}
		return nil
	})
	f, err := os.Open(filepath.Join(s.Root(), "blobs", "sha256", layerDigest[len("sha256:"):]))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[h.Name] = h
		if !h.ModTime.Equal(info.Created) {
			t.Errorf("%s: mtime %v, want %v", h.Name, h.ModTime, info.Created)
		}
	}
	if h := entries["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("tmp entry %+v", h)
	}
	for _, name := range []string{"bin/busybox", "etc/passwd", "etc/group", "root/", "var/"} {
		if entries[name] == nil {
			t.Errorf("layer lacks %s", name)
		}
	}
	if h := entries["bin/sh"]; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "bin/busybox" {
		t.Errorf("bin/sh entry %+v", h)
	}
	links := 0
	for _, h := range entries {
		if h.Typeflag == tar.TypeLink {
			links++
		}
	}
	if links != len(info.Applets) || links < 100 {
		t.Errorf("%d applet links, busybox lists %d", links, len(info.Applets))
	}
}

func TestHostMirror(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sources.list.d"), 0o755)
	if got := HostMirror(dir); got != DefaultMirror {
		t.Errorf("empty apt dir: %q", got)
	}
	os.WriteFile(filepath.Join(dir, "sources.list.d", "debian.sources"), []byte(
		"Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"+
			"Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n"), 0o644)
	if got := HostMirror(dir); got != "http://mirror.example/debian" {
		t.Errorf("deb822: %q", got)
	}
	os.WriteFile(filepath.Join(dir, "sources.list"), []byte("# c\ndeb [arch=amd64] http://one.example/debian bookworm main\n"), 0o644)
	if got := HostMirror(dir); got != "http://one.example/debian" {
		t.Errorf("one-line: %q", got)
	}
}

func TestDebianCached(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	runs := 0
	fake := func(ctx context.Context, suite, dir, mirror string, include []string) error {
		runs++
		for _, d := range []string{"bin", "etc", "dev", "var/lib/apt/lists"} {
			os.MkdirAll(filepath.Join(dir, d), 0o755)
		}
		os.WriteFile(filepath.Join(dir, "bin/bash"), []byte("#!bash"), 0o755)
		os.WriteFile(filepath.Join(dir, "var/lib/apt/lists/junk"), []byte("x"), 0o644)
		return os.WriteFile(filepath.Join(dir, "dev/null-ish"), nil, 0o644)
	}
	opts := DebianOptions{Suite: "bookworm", Mirror: "http://m.example/debian", CacheDir: t.TempDir(), Debootstrap: fake, Include: []string{"b", "a"}}
	first, err := Debian(ctx, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Debian(ctx, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if runs != 1 || first.Config.Digest != second.Config.Digest {
		t.Fatalf("debootstrap ran %d times; IDs %s, %s", runs, first.Config.Digest, second.Config.Digest)
	}
	// A store that lost the layer (image removed, GC ran) refills it from
	// the cache without debootstrap.
	other := newStore(t)
	third, err := Debian(ctx, other, opts)
	if err != nil || runs != 1 || third.Config.Digest != first.Config.Digest {
		t.Fatalf("refill from cache: runs=%d id=%s err=%v", runs, third.Config.Digest, err)
	}
	opts.Include = []string{"c"}
	if _, err := Debian(ctx, s, opts); err != nil || runs != 2 {
		t.Fatalf("different packages must rebuild: runs=%d err=%v", runs, err)
	}
}
