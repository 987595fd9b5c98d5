package image

import (
	"context"
	"errors"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/image/manifest"
)

// copyImageBlobs copies img's manifest, config and layers from src to dst
// without recording an image in dst: like a pull of another platform.
func copyImageBlobs(t *testing.T, src, dst *Store, img *Image) []ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	descs := append([]ocispec.Descriptor{img.Target, img.Manifest.Config}, img.Manifest.Layers...)
	for _, d := range descs {
		f, err := src.Content().Open(d.Digest)
		must(t, err)
		must(t, dst.Content().Write(ctx, d, f))
		f.Close()
	}
	return descs
}

// twoPlatformStore holds an amd64 image and the blobs of an arm64 one, and
// an index of both.
func twoPlatformStore(t *testing.T) (s *Store, amd, arm *Image, armBlobs []ocispec.Descriptor, index ocispec.Descriptor) {
	t.Helper()
	ctx := context.Background()
	s = openStore(t, WithPlatform(ocispec.Platform{OS: "linux", Architecture: "amd64"}))
	other := openStore(t, WithPlatform(ocispec.Platform{OS: "linux", Architecture: "arm64"}))
	amd = makeImage(t, s, map[string]string{"f": "amd64"}, "amd:only")
	arm = makeImage(t, other, map[string]string{"f": "arm64"})
	armBlobs = copyImageBlobs(t, other, s, arm)
	a, b := amd.Target, arm.Target
	a.Platform = &ocispec.Platform{OS: "linux", Architecture: "amd64"}
	b.Platform = &ocispec.Platform{OS: "linux", Architecture: "arm64"}
	raw, idesc, err := manifest.MarshalIndex(ocispec.Index{Manifests: []ocispec.Descriptor{a, b}})
	must(t, err)
	_, err = s.Content().WriteBytes(ctx, idesc.MediaType, raw)
	must(t, err)
	return s, amd, arm, armBlobs, idesc
}

func TestImageGCKeepsIndexChildren(t *testing.T) {
	ctx := context.Background()
	s, amd, _, armBlobs, idesc := twoPlatformStore(t)
	_, err := s.Put(ctx, idesc, "multi:1")
	must(t, err)
	_, err = s.Remove(ctx, "amd:only", RemoveOptions{})
	must(t, err)
	_, err = s.GC(ctx)
	must(t, err)
	for _, d := range append(armBlobs, idesc) {
		if !s.Content().Has(d.Digest) {
			t.Fatalf("GC collected %s of the index kept by multi:1", d.Digest)
		}
	}
	_, err = s.Remove(ctx, "multi:1", RemoveOptions{})
	must(t, err)
	_, err = s.GC(ctx)
	must(t, err)
	for _, d := range append(armBlobs, idesc, amd.Target) {
		if s.Content().Has(d.Digest) {
			t.Fatalf("GC kept %s after the index's image was removed", d.Digest)
		}
	}
}

func TestImagePutFromIndex(t *testing.T) {
	ctx := context.Background()
	s, amd, arm, _, idesc := twoPlatformStore(t)
	got, err := s.PutFromIndex(ctx, idesc, arm.Target, "multi:arm", "multi@"+idesc.Digest.String())
	must(t, err)
	if got.ID != arm.ID || got.IndexDigest != idesc.Digest || got.ManifestDigest != arm.ManifestDigest {
		t.Fatalf("PutFromIndex = %+v", got)
	}
	if _, err := s.PutFromIndex(ctx, amd.Target, arm.Target); !errors.Is(err, ErrInvalid) {
		t.Fatalf("PutFromIndex with a manifest as the index: %v", err)
	}
	lone := openStore(t)
	alone := makeImage(t, lone, map[string]string{"g": "x"})
	copyImageBlobs(t, lone, s, alone)
	if _, err := s.PutFromIndex(ctx, idesc, alone.Target); !errors.Is(err, ErrInvalid) {
		t.Fatalf("PutFromIndex of a manifest the index does not list: %v", err)
	}
}
