package client

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/image"
)

var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// openAmd64Store is an image store that selects linux/amd64 from indexes
// whatever the test host is.
func openAmd64Store(t *testing.T) *image.Store {
	t.Helper()
	s, err := image.Open(t.TempDir(), image.WithPlatform(amd64))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// twoPlatformIndex writes to ref (on a test registry) an index of a
// linux/amd64 and a linux/arm64 image with one random layer each, and
// returns it.
func twoPlatformIndex(t *testing.T, ref string, mt types.MediaType) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(64<<10, 1)
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
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), mt)
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

func indexDigest(t *testing.T, idx v1.ImageIndex) digest.Digest {
	t.Helper()
	h, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return digest.Digest(h.String())
}

// child returns the descriptor of idx's entry for arch.
func child(t *testing.T, idx v1.ImageIndex, arch string) v1.Descriptor {
	t.Helper()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.Architecture == arch {
			return d
		}
	}
	t.Fatalf("no %s entry", arch)
	return v1.Descriptor{}
}

// layersOf lists the layer digests of idx's arch image.
func layersOf(t *testing.T, idx v1.ImageIndex, arch string) []digest.Digest {
	t.Helper()
	img, err := idx.Image(child(t, idx, arch).Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []digest.Digest
	for _, l := range m.Layers {
		out = append(out, digest.Digest(l.Digest.String()))
	}
	return out
}

// checkRemoteIndex asserts that ref serves the index want and that every
// child's manifest, config and layers are fetchable and verify.
func checkRemoteIndex(t *testing.T, ref string, want digest.Digest) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	ri, err := remote.Index(r)
	if err != nil {
		t.Fatalf("fetching index %s: %v", ref, err)
	}
	if got := indexDigest(t, ri); got != want {
		t.Fatalf("%s serves index %s, want %s", ref, got, want)
	}
	m, err := ri.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 2 {
		t.Fatalf("index at %s has %d entries", ref, len(m.Manifests))
	}
	for _, d := range m.Manifests {
		img, err := remote.Image(r.Context().Digest(d.Digest.String()), remote.WithPlatform(*d.Platform))
		if err != nil {
			t.Fatalf("child %s of %s: %v", d.Digest, ref, err)
		}
		checkImage(t, img)
	}
}

// checkImage fetches a remote image's config and layers and verifies
// their digests.
func checkImage(t *testing.T, img v1.Image) {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := img.RawConfigFile()
	if err != nil || digest.FromBytes(raw).String() != m.Config.Digest.String() {
		t.Fatalf("config %s: %v", m.Config.Digest, err)
	}
	for _, l := range m.Layers {
		rl, err := img.LayerByDigest(l.Digest)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := rl.Compressed()
		if err != nil {
			t.Fatalf("layer %s: %v", l.Digest, err)
		}
		got, err := digest.FromReader(rc)
		rc.Close()
		if err != nil || got.String() != l.Digest.String() {
			t.Fatalf("layer %s read as %s: %v", l.Digest, got, err)
		}
	}
}

func testClient(t *testing.T, s *image.Store, warn *bytes.Buffer, opts ...Option) *Client {
	return New(s, append([]Option{WithKeychain(ConfigKeychain{Dir: t.TempDir()}), WithWarnings(warn)}, opts...)...)
}

// Pull of the default platform keeps the whole list (manifests and
// configs, through GC too); push to another repository of the same
// registry mounts the other platform's layers and sends the same index.
func TestRegistryIndexPullPushSameRegistry(t *testing.T) {
	e := startRegistry(t, nil, nil)
	ctx := context.Background()
	idx := twoPlatformIndex(t, e.host+"/multi:v1", types.OCIImageIndex)
	want := indexDigest(t, idx)
	dst := openAmd64Store(t)
	var warn bytes.Buffer
	c := testClient(t, dst, &warn)
	pr, err := c.Pull(ctx, e.host+"/multi:v1")
	if err != nil {
		t.Fatal(err)
	}
	arm := child(t, idx, "arm64")
	if pr.Digest != want || pr.Image.IndexDigest != want || pr.Image.Config.Architecture != "amd64" {
		t.Fatalf("pulled %s (index %s, %s), want index %s", pr.Digest, pr.Image.IndexDigest, pr.Image.Config.Architecture, want)
	}
	// GC must keep the other platform's manifest and config.
	if _, err := dst.GC(ctx); err != nil {
		t.Fatal(err)
	}
	armImg, _ := idx.Image(arm.Digest)
	armCfg, _ := armImg.ConfigName()
	for _, d := range []string{want.String(), arm.Digest.String(), armCfg.String()} {
		if !dst.Content().Has(digest.Digest(d)) {
			t.Fatalf("blob %s of the manifest list not kept", d)
		}
	}
	for _, l := range layersOf(t, idx, "arm64") {
		if dst.Content().Has(l) {
			t.Fatalf("arm64 layer %s pulled without --all-platforms", l)
		}
	}
	res, err := c.Push(ctx, e.host+"/multi:v1", e.host+"/copy:v1", e.host+"/copy:v2")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Digest != want {
			t.Fatalf("pushed %s as %s, want the index %s", r.Ref, r.Digest, want)
		}
	}
	if warn.Len() != 0 {
		t.Fatalf("unexpected notes: %s", warn.String())
	}
	checkRemoteIndex(t, e.host+"/copy:v1", want)
	checkRemoteIndex(t, e.host+"/copy:v2", want)
	// Back to the repository it came from: everything is there already.
	if res, err := c.Push(ctx, e.host+"/multi:v1"); err != nil || res[0].Digest != want {
		t.Fatalf("push back: %+v %v", res, err)
	}
}

// Pull of every platform, then push to a registry that has none of it.
func TestRegistryIndexPullAllPlatformsPushFresh(t *testing.T) {
	src := startRegistry(t, nil, nil)
	fresh := startRegistry(t, nil, nil)
	ctx := context.Background()
	idx := twoPlatformIndex(t, src.host+"/multi:v1", types.DockerManifestList)
	want := indexDigest(t, idx)
	dst := openAmd64Store(t)
	var warn bytes.Buffer
	c := testClient(t, dst, &warn, WithAllPlatforms())
	if _, err := c.Pull(ctx, src.host+"/multi:v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.GC(ctx); err != nil {
		t.Fatal(err)
	}
	for _, l := range layersOf(t, idx, "arm64") {
		if !dst.Content().Has(l) {
			t.Fatalf("arm64 layer %s not pulled (or collected) with all platforms", l)
		}
	}
	res, err := c.Push(ctx, src.host+"/multi:v1", fresh.host+"/multi:v1")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Digest != want || warn.Len() != 0 {
		t.Fatalf("pushed %s (notes %q), want index %s", res[0].Digest, warn.String(), want)
	}
	checkRemoteIndex(t, fresh.host+"/multi:v1", want)
}

// Pull of one platform, then push to a registry lacking the others: the
// amd64 manifest alone goes, with a one-line note.
func TestRegistryIndexPushFallsBackToManifest(t *testing.T) {
	src := startRegistry(t, nil, nil)
	fresh := startRegistry(t, nil, nil)
	ctx := context.Background()
	idx := twoPlatformIndex(t, src.host+"/multi:v1", types.OCIImageIndex)
	dst := openAmd64Store(t)
	var warn bytes.Buffer
	c := testClient(t, dst, &warn)
	pr, err := c.Pull(ctx, src.host+"/multi:v1")
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Push(ctx, src.host+"/multi:v1", fresh.host+"/multi:v1")
	if err != nil {
		t.Fatal(err)
	}
	amd := child(t, idx, "amd64")
	if res[0].Digest != pr.Image.ManifestDigest || res[0].Digest.String() != amd.Digest.String() {
		t.Fatalf("fallback pushed %s, want the amd64 manifest %s", res[0].Digest, amd.Digest)
	}
	note := warn.String()
	if strings.Count(note, "\n") != 1 || !strings.Contains(note, "pushing only the linux/amd64 manifest") || !strings.Contains(note, "linux/arm64") {
		t.Fatalf("want one note naming the fallback and the missing platform, got %q", note)
	}
	r, _ := name.ParseReference(fresh.host+"/multi:v1", name.Insecure)
	got, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	if got.MediaType.IsIndex() || got.Digest.String() != amd.Digest.String() {
		t.Fatalf("fresh registry serves %s %s, want the amd64 manifest", got.MediaType, got.Digest)
	}
	checkImage(t, mustImage(t, got))
	if _, err := remote.Head(r.Context().Digest(indexDigest(t, idx).String())); err == nil {
		t.Fatal("the index reached a registry lacking its arm64 child")
	}
}

func mustImage(t *testing.T, d *remote.Descriptor) v1.Image {
	t.Helper()
	img, err := d.Image()
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Pull of a platform other than the store's still records the index, so
// the push (here to a fresh registry, every platform pulled) keeps it.
func TestRegistryIndexPullOtherPlatform(t *testing.T) {
	src := startRegistry(t, nil, nil)
	fresh := startRegistry(t, nil, nil)
	ctx := context.Background()
	idx := twoPlatformIndex(t, src.host+"/multi:v1", types.OCIImageIndex)
	want := indexDigest(t, idx)
	dst := openAmd64Store(t)
	var warn bytes.Buffer
	arm := ocispec.Platform{OS: "linux", Architecture: "arm64"}
	c := testClient(t, dst, &warn, WithPlatform(arm), WithAllPlatforms())
	pr, err := c.Pull(ctx, src.host+"/multi:v1")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Image.Config.Architecture != "arm64" || pr.Image.IndexDigest != want {
		t.Fatalf("pulled %s image with index %q, want arm64 from %s", pr.Image.Config.Architecture, pr.Image.IndexDigest, want)
	}
	if _, err := dst.GC(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := c.Push(ctx, src.host+"/multi:v1", fresh.host+"/multi:v1")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Digest != want || warn.Len() != 0 {
		t.Fatalf("pushed %s (notes %q), want index %s", res[0].Digest, warn.String(), want)
	}
	checkRemoteIndex(t, fresh.host+"/multi:v1", want)
}
