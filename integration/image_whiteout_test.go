package integration

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
)

type imageTarEntry struct {
	name, body string
	typ        byte
}

func imageBuildTar(t *testing.T, entries []imageTarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == tar.TypeDir {
			h.Mode, h.Size = 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	return buf.Bytes()
}

func imageSHA(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// imageWriteLayout writes an OCI image layout holding one image made of layers
// and returns the layout dir and a tar of it.
func imageWriteLayout(t *testing.T, name string, layers ...[]byte) (string, string) {
	t.Helper()
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	blobs := filepath.Join(layout, "blobs", "sha256")
	os.MkdirAll(blobs, 0o755)
	put := func(b []byte) map[string]any {
		d := imageSHA(b)
		os.WriteFile(filepath.Join(blobs, d[len("sha256:"):]), b, 0o644)
		return map[string]any{"digest": d, "size": len(b)}
	}
	var diffIDs []string
	var descs []map[string]any
	for _, l := range layers {
		diffIDs = append(diffIDs, imageSHA(l))
		d := put(l)
		d["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
		descs = append(descs, d)
	}
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs}, "config": map[string]any{"Cmd": []string{"sh"}}})
	cd := put(cfg)
	cd["mediaType"] = "application/vnd.oci.image.config.v1+json"
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": cd, "layers": descs})
	md := put(m)
	md["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
	md["annotations"] = map[string]string{"org.opencontainers.image.ref.name": name}
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{md}})
	os.WriteFile(filepath.Join(layout, "index.json"), idx, 0o644)
	os.WriteFile(filepath.Join(layout, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	archive := filepath.Join(dir, "layout.tar")
	imageRunTool(t, "tar", "-cf", archive, "-C", layout, ".")
	return layout, archive
}

// TestImageWhiteoutsMatchUmoci loads a three-layer image with a whiteout and
// an opaque directory and checks `onggi image unpack` against the expected
// tree and against umoci's unpack of the same layout.
func TestImageWhiteoutsMatchUmoci(t *testing.T) {
	testbundle.RequireRoot(t)
	imageRequireTool(t, "umoci")
	l1 := imageBuildTar(t, []imageTarEntry{{"a/", "", tar.TypeDir}, {"a/x", "x", tar.TypeReg}, {"a/y", "y", tar.TypeReg}, {"f", "f", tar.TypeReg}, {"g", "g", tar.TypeReg}})
	l2 := imageBuildTar(t, []imageTarEntry{{"a/", "", tar.TypeDir}, {"a/.wh..wh..opq", "", tar.TypeReg}, {"a/z", "z", tar.TypeReg}, {".wh.f", "", tar.TypeReg}})
	l3 := imageBuildTar(t, []imageTarEntry{{"f", "back", tar.TypeReg}, {".wh.g", "", tar.TypeReg}})
	layout, archive := imageWriteLayout(t, "docker.io/library/layers:3", l1, l2, l3)
	c := newImageCLI(t)
	c.ok("load", "-i", archive)
	mine := filepath.Join(t.TempDir(), "rootfs")
	c.ok("image", "unpack", "layers:3", mine)
	want := []string{"a", "a/z", "f"}
	var got []string
	filepath.Walk(mine, func(p string, _ os.FileInfo, _ error) error {
		if rel, _ := filepath.Rel(mine, p); rel != "." {
			got = append(got, rel)
		}
		return nil
	})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("unpacked tree %v, want %v", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(mine, "f")); string(b) != "back" {
		t.Errorf("f = %q, want the top layer's", b)
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	imageRunTool(t, "umoci", "unpack", "--image", layout+":docker.io/library/layers:3", bundle)
	if a, b := imageTreeListing(t, filepath.Join(bundle, "rootfs")), imageTreeListing(t, mine); !reflect.DeepEqual(a, b) {
		t.Errorf("umoci %v\nonggi %v", a, b)
	}
}
