package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layerTar builds a small uncompressed layer with the given files.
func layerTar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		body := files[n]
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg, ModTime: time.Unix(1, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newStore(t *testing.T) *content.Store {
	t.Helper()
	s, err := content.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// makeImage stores a two-layer image and returns its manifest descriptor.
func makeImage(t *testing.T, s *content.Store, label string) Imported {
	t.Helper()
	ctx := context.Background()
	var layers []ocispec.Descriptor
	var diffs []digest.Digest
	for i, files := range []map[string]string{{"a": "1", "dir/b": label}, {"c": "3"}} {
		raw := layerTar(t, files)
		if i == 1 { // second layer gzip-compressed, as registries store them
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(raw)
			zw.Close()
			d, err := s.WriteBytes(ctx, ocispec.MediaTypeImageLayerGzip, z.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			layers, diffs = append(layers, d), append(diffs, digest.FromBytes(raw))
			continue
		}
		d, err := s.WriteBytes(ctx, ocispec.MediaTypeImageLayer, raw)
		if err != nil {
			t.Fatal(err)
		}
		layers, diffs = append(layers, d), append(diffs, d.Digest)
	}
	cfg := ConfigFile{}
	cfg.Platform = ocispec.Platform{OS: "linux", Architecture: "amd64"}
	cfg.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: diffs}
	cfg.Config.Labels = map[string]string{"l": label}
	imp, err := StoreImage(ctx, s, cfg, layers)
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

func tarNames(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = true
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, format := range []Format{FormatDocker, FormatOCI} {
		t.Run(string(format), func(t *testing.T) {
			src := newStore(t)
			one, two := makeImage(t, src, "one"), makeImage(t, src, "two")
			var buf bytes.Buffer
			err := Save(ctx, &buf, src, format, []Image{
				{Manifest: one.Manifest, Names: []string{"docker.io/library/one:latest", "docker.io/library/one:v1"}, Familiar: []string{"one:latest", "one:v1"}},
				{Manifest: two.Manifest},
			})
			if err != nil {
				t.Fatal(err)
			}
			names := tarNames(t, buf.Bytes())
			if !names["index.json"] || !names["oci-layout"] || names["manifest.json"] != (format == FormatDocker) {
				t.Fatalf("archive entries %v", names)
			}
			dst := newStore(t)
			loaded, err := Load(ctx, bytes.NewReader(buf.Bytes()), dst, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(loaded) != 2 {
				t.Fatalf("loaded %d images, want 2: %+v", len(loaded), loaded)
			}
			byManifest := map[digest.Digest]Loaded{}
			for _, l := range loaded {
				byManifest[l.Manifest.Digest] = l
			}
			l1, ok := byManifest[one.Manifest.Digest]
			if !ok || l1.Config.Digest != one.Config.Digest {
				t.Fatalf("image one not loaded with its manifest digest: %+v", loaded)
			}
			if len(l1.Names) != 2 {
				t.Errorf("image one names %v", l1.Names)
			}
			if l2 := byManifest[two.Manifest.Digest]; len(l2.Names) != 0 {
				t.Errorf("untagged image got names %v", l2.Names)
			}
			// Every blob of both images must now be in dst, byte-identical.
			src.Walk(func(i content.Info) error {
				if !dst.Has(i.Digest) {
					t.Errorf("blob %s missing after load", i.Digest)
				}
				return nil
			})
		})
	}
}

func TestSaveIsDeterministic(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	img := makeImage(t, s, "x")
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		if err := Save(ctx, buf, s, FormatDocker, []Image{{Manifest: img.Manifest, Names: []string{"docker.io/library/x:latest"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two saves of one image differ")
	}
}

// legacyArchive is what docker < 25 and skopeo's docker-archive write: a
// directory per layer, the config at top level, no OCI layout; a repeated
// layer is a symlink to its first copy.
func legacyArchive(t *testing.T, layer []byte, cfg []byte, compress bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body []byte) {
		h.Size = int64(len(body))
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		h.Mode = 0o644
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	add(&tar.Header{Name: "aaa/", Typeflag: tar.TypeDir}, nil)
	add(&tar.Header{Name: "aaa/layer.tar"}, layer)
	add(&tar.Header{Name: "aaa/json"}, []byte(`{}`))
	add(&tar.Header{Name: "aaa/VERSION"}, []byte(`1.0`))
	add(&tar.Header{Name: "bbb/", Typeflag: tar.TypeDir}, nil)
	add(&tar.Header{Name: "bbb/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../aaa/layer.tar"}, nil)
	cfgName := digest.FromBytes(cfg).Encoded() + ".json"
	add(&tar.Header{Name: cfgName}, cfg)
	m, _ := json.Marshal([]dockerManifestEntry{{Config: cfgName, RepoTags: []string{"legacy:1"}, Layers: []string{"aaa/layer.tar", "bbb/layer.tar"}}})
	add(&tar.Header{Name: "manifest.json"}, m)
	add(&tar.Header{Name: "repositories"}, []byte(`{"legacy":{"1":"bbb"}}`))
	tw.Close()
	if !compress {
		return buf.Bytes()
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(buf.Bytes())
	zw.Close()
	return z.Bytes()
}

func TestLoadLegacyDockerArchive(t *testing.T) {
	ctx := context.Background()
	layer := layerTar(t, map[string]string{"f": "x"})
	diff := digest.FromBytes(layer)
	cfg, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diff, diff}}})
	for _, compress := range []bool{false, true} {
		s := newStore(t)
		loaded, err := Load(ctx, bytes.NewReader(legacyArchive(t, layer, cfg, compress)), s, LoadOptions{})
		if err != nil {
			t.Fatalf("compress=%v: %v", compress, err)
		}
		if len(loaded) != 1 || len(loaded[0].Names) != 1 || loaded[0].Names[0] != "legacy:1" {
			t.Fatalf("loaded %+v", loaded)
		}
		if loaded[0].Config.Digest != digest.FromBytes(cfg) {
			t.Errorf("config digest %s, want %s", loaded[0].Config.Digest, digest.FromBytes(cfg))
		}
		raw, err := s.ReadAll(loaded[0].Manifest.Digest, 0)
		if err != nil {
			t.Fatal(err)
		}
		var m ocispec.Manifest
		json.Unmarshal(raw, &m)
		if len(m.Layers) != 2 || m.Layers[0].Digest != diff || m.Layers[1].Digest != diff || m.Layers[0].MediaType != ocispec.MediaTypeImageLayer {
			t.Errorf("generated manifest %s", raw)
		}
		if s.Has(digest.FromBytes([]byte(`{}`))) {
			t.Error("legacy per-layer json was stored")
		}
	}
}

func TestLoadDocker25Names(t *testing.T) {
	ctx := context.Background()
	src := newStore(t)
	img := makeImage(t, src, "x")
	var buf bytes.Buffer
	if err := Save(ctx, &buf, src, FormatOCI, []Image{{Manifest: img.Manifest}}); err != nil {
		t.Fatal(err)
	}
	// Rewrite index.json as docker 25 does: the tag alone in ref.name.
	out := rewriteEntry(t, buf.Bytes(), "index.json", func(b []byte) []byte {
		var idx ocispec.Index
		json.Unmarshal(b, &idx)
		idx.Manifests[0].Annotations = map[string]string{AnnotationImageName: "docker.io/library/x:7", ocispec.AnnotationRefName: "7"}
		b, _ = json.Marshal(idx)
		return b
	})
	loaded, err := Load(ctx, bytes.NewReader(out), newStore(t), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 1 || len(loaded[0].Names) != 1 || loaded[0].Names[0] != "docker.io/library/x:7" {
		t.Fatalf("names %+v", loaded)
	}
}

func rewriteEntry(t *testing.T, data []byte, name string, fn func([]byte) []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		body, _ := io.ReadAll(tr)
		if h.Name == name {
			body = fn(body)
			h.Size = int64(len(body))
		}
		tw.WriteHeader(h)
		tw.Write(body)
	}
	tw.Close()
	return out.Bytes()
}

func TestLoadRejects(t *testing.T) {
	ctx := context.Background()
	src := newStore(t)
	img := makeImage(t, src, "x")
	var buf bytes.Buffer
	if err := Save(ctx, &buf, src, FormatOCI, []Image{{Manifest: img.Manifest}}); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"not a tar":      []byte("hello, this is not an archive at all, not even close....."),
		"no index":       rewriteEntry(t, buf.Bytes(), "index.json", func([]byte) []byte { return []byte(`{"manifests":[]}`) }),
		"missing layer":  dropEntry(t, buf.Bytes(), "blobs/sha256/"+mustLayer(t, src, img).Encoded()),
		"corrupted blob": rewriteEntry(t, buf.Bytes(), "blobs/sha256/"+img.Config.Digest.Encoded(), func(b []byte) []byte { b[0] ^= 1; return b }),
	}
	for name, data := range cases {
		if _, err := Load(ctx, bytes.NewReader(data), newStore(t), LoadOptions{}); err == nil {
			t.Errorf("%s: loaded", name)
		} else if !errors.Is(err, errdefs.ErrInvalid) && !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("%s: error %v is neither invalid nor not found", name, err)
		}
	}
}

func mustLayer(t *testing.T, s *content.Store, img Imported) digest.Digest {
	raw, err := s.ReadAll(img.Manifest.Digest, 0)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	json.Unmarshal(raw, &m)
	return m.Layers[1].Digest
}

func dropEntry(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		body, _ := io.ReadAll(tr)
		if h.Name == name {
			continue
		}
		tw.WriteHeader(h)
		tw.Write(body)
	}
	tw.Close()
	return out.Bytes()
}
