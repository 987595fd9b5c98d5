package integration

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
)

// TestRegistryIndexLoadPush loads an OCI archive whose index.json names a
// two-platform image index (linux/amd64 and linux/arm64, all content
// present), pushes it to an empty registry and expects the very same index
// there, with both platforms complete; then a pull of it and a push to
// another repository keeps the digest too.
func TestRegistryIndexLoadPush(t *testing.T) {
	idx, dir := twoPlatformLayout(t)
	h, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	want := h.String()
	archive := filepath.Join(t.TempDir(), "multi.tar")
	tarDir(t, dir, archive)

	addr, _ := startOnggiRegistry(t)
	a := newImageCLI(t)
	if out := a.ok("load", "-i", archive); !strings.Contains(out, "Loaded image: multi:v1") {
		t.Fatalf("load: %s", out)
	}
	dst := addr + "/multi:v1"
	r := a.run("push", "multi:v1", dst)
	if r.code != 0 || !strings.Contains(r.stdout, "v1: digest: "+want) || r.stderr != "" {
		t.Fatalf("push of a loaded index, want digest %s: %v", want, r)
	}
	checkIndexAt(t, dst, want)

	b := newImageCLI(t)
	if out := b.ok("pull", dst); !strings.Contains(out, "Digest: "+want) {
		t.Fatalf("pull: %s", out)
	}
	r = b.run("push", dst, addr+"/copy:v1")
	if r.code != 0 || !strings.Contains(r.stdout, "v1: digest: "+want) || r.stderr != "" {
		t.Fatalf("push of the pulled index: %v", r)
	}
	checkIndexAt(t, addr+"/copy:v1", want)

	// To a registry lacking the other platform: b pulled only its own, so
	// one manifest goes, with a one-line note; --all-platforms keeps all.
	fresh, _ := startOnggiRegistry(t)
	r = b.run("push", dst, fresh+"/multi:one")
	if r.code != 0 || strings.Contains(r.stdout, want) || strings.Count(r.stderr, "\n") != 1 ||
		!strings.Contains(r.stderr, "note: pushing only the linux/") {
		t.Fatalf("push to a registry lacking a platform should fall back with a note: %v", r)
	}
	c := newImageCLI(t)
	c.ok("pull", "--all-platforms", dst)
	r = c.run("push", dst, fresh+"/multi:all")
	if r.code != 0 || !strings.Contains(r.stdout, "all: digest: "+want) || r.stderr != "" {
		t.Fatalf("push after pull --all-platforms: %v", r)
	}
	checkIndexAt(t, fresh+"/multi:all", want)
}

// twoPlatformLayout writes an OCI layout holding a two-platform index
// named multi:v1 and returns the index and the layout's directory.
func twoPlatformLayout(t *testing.T) (v1.ImageIndex, string) {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(32<<10, 1)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf.OS, cf.Architecture = "linux", arch
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	ann := map[string]string{"io.containerd.image.name": "docker.io/library/multi:v1", "org.opencontainers.image.ref.name": "v1"}
	if err := p.AppendIndex(idx, layout.WithAnnotations(ann)); err != nil {
		t.Fatal(err)
	}
	return idx, dir
}

// tarDir archives directory dir into path.
func tarDir(t *testing.T, dir, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name, _ = filepath.Rel(dir, p)
		if err := tw.WriteHeader(hdr); err != nil || d.IsDir() {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// checkIndexAt asserts that ref serves index want and that both children
// are complete: manifest, config and layers fetchable with their digests.
func checkIndexAt(t *testing.T, ref, want string) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r)
	if err != nil || desc.Digest.String() != want || !desc.MediaType.IsIndex() {
		t.Fatalf("%s: got %v %v, want index %s", ref, desc, err, want)
	}
	ri, err := desc.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ri.IndexManifest()
	if err != nil || len(m.Manifests) != 2 {
		t.Fatalf("index at %s: %v %v", ref, m, err)
	}
	for _, c := range m.Manifests {
		img, err := remote.Image(r.Context().Digest(c.Digest.String()))
		if err != nil {
			t.Fatalf("child %s (%s) at %s: %v", c.Digest, c.Platform.Architecture, ref, err)
		}
		mf, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := img.RawConfigFile()
		if err != nil || digest.FromBytes(cfg).String() != mf.Config.Digest.String() {
			t.Fatalf("config of %s: %v", c.Digest, err)
		}
		for _, l := range mf.Layers {
			rl, err := img.LayerByDigest(l.Digest)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := rl.Compressed()
			if err != nil {
				t.Fatalf("layer %s of %s: %v", l.Digest, c.Digest, err)
			}
			got, err := digest.FromReader(rc)
			rc.Close()
			if err != nil || got.String() != l.Digest.String() {
				t.Fatalf("layer %s of %s read as %s: %v", l.Digest, c.Digest, got, err)
			}
		}
	}
}
