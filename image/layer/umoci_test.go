//go:build linux

package layer

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestSameTreeAsUmoci unpacks the three whiteout layers with umoci (the
// peer) and with Apply+Merge, and compares the trees: content, modes,
// owners, link targets, mtimes.
func TestSameTreeAsUmoci(t *testing.T) {
	testbundle.RequireRoot(t)
	umoci, err := exec.LookPath("umoci")
	if err != nil {
		t.Fatal("umoci is required (Debian package umoci)")
	}
	layout := t.TempDir()
	var layers []ocispec.Descriptor
	var diffIDs []digest.Digest
	extra := []ent{file("exe", "#!"), symlink("ln", "d"), hardlink("hl", "exe")}
	extra[0].mode, extra[0].uid, extra[0].gid = 0o4755, 12, 34
	for i, l := range threeLayers {
		if i == 2 {
			l = append(append([]ent{}, l...), extra...)
		}
		data := mkTar(t, l...)
		layers = append(layers, writeBlob(t, layout, ocispec.MediaTypeImageLayer, data))
		diffIDs = append(diffIDs, digest.FromBytes(data))
	}
	cfg := ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}}
	cfgDesc := writeJSONBlob(t, layout, ocispec.MediaTypeImageConfig, cfg)
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: cfgDesc, Layers: layers}
	m.SchemaVersion = 2
	mDesc := writeJSONBlob(t, layout, ocispec.MediaTypeImageManifest, m)
	mDesc.Annotations = map[string]string{ocispec.AnnotationRefName: "t"}
	idx := ocispec.Index{Manifests: []ocispec.Descriptor{mDesc}}
	idx.SchemaVersion = 2
	writeFile(t, filepath.Join(layout, "index.json"), idx)
	writeFile(t, filepath.Join(layout, "oci-layout"), ocispec.ImageLayout{Version: "1.0.0"})

	peer := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command(umoci, "raw", "unpack", "--image", layout+":t", peer).CombinedOutput(); err != nil {
		t.Fatalf("umoci raw unpack: %v\n%s", err, out)
	}
	var dirs []string
	for i := range threeLayers {
		d := filepath.Join(t.TempDir(), "l")
		f, _ := os.Open(filepath.Join(layout, "blobs", "sha256", layers[i].Digest.Encoded()))
		_, err := Apply(context.Background(), d, f, Options{})
		f.Close()
		must(t, err)
		dirs = append(dirs, d)
	}
	ours := filepath.Join(t.TempDir(), "merged")
	must(t, Merge(context.Background(), ours, dirs, Options{}))
	a, b := treeState(t, peer, true), treeState(t, ours, true)
	delete(a, ".")
	delete(b, ".")
	if d := diffStates(a, b); d != "" {
		t.Fatalf("umoci (-) and onggi (+) trees differ:\n%s", d)
	}
}

func writeBlob(t *testing.T, layout, mt string, data []byte) ocispec.Descriptor {
	d := digest.FromBytes(data)
	p := filepath.Join(layout, "blobs", "sha256", d.Encoded())
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.WriteFile(p, data, 0o644))
	return ocispec.Descriptor{MediaType: mt, Digest: d, Size: int64(len(data))}
}

func writeJSONBlob(t *testing.T, layout, mt string, v any) ocispec.Descriptor {
	b, err := json.Marshal(v)
	must(t, err)
	return writeBlob(t, layout, mt, b)
}

func writeFile(t *testing.T, p string, v any) {
	b, err := json.Marshal(v)
	must(t, err)
	must(t, os.WriteFile(p, bytes.TrimSpace(b), 0o644))
}
