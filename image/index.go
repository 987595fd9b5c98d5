package image

import (
	"context"
	"fmt"
	"slices"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/image/manifest"
)

// keepIndexChildren marks, for GC, the content of every platform of index
// that is stored: the child manifests and their configs and layers. An
// image records one platform, but pull and load keep the whole manifest
// list (every child manifest and config, and the layers of the platforms
// fetched) so that push can send the index back with its digest intact.
// Children that were never stored are simply absent; nothing here fails.
func (s *Store) keepIndexChildren(index digest.Digest, blobs map[digest.Digest]bool) {
	raw, err := s.content.ReadAll(index, 0)
	if err != nil {
		return
	}
	idx, err := manifest.ParseIndex(raw)
	if err != nil {
		return
	}
	for _, child := range idx.Manifests {
		if !s.content.Has(child.Digest) {
			continue
		}
		blobs[child.Digest] = true
		craw, err := s.content.ReadAll(child.Digest, 0)
		if err != nil {
			continue
		}
		m, err := manifest.ParseManifest(craw)
		if err != nil {
			continue // a nested index or an unknown artifact: keep the blob only
		}
		blobs[m.Config.Digest] = true
		for _, l := range m.Layers {
			blobs[l.Digest] = true
		}
	}
}

// PutFromIndex is Put for a manifest selected from index for a platform
// other than the store's (pull --platform): it records the image whose
// manifest is desc and remembers index as its IndexDigest, so GC keeps the
// list and push can send it whole. index must be stored and list desc.
func (s *Store) PutFromIndex(ctx context.Context, index, desc ocispec.Descriptor, names ...string) (*Image, error) {
	refs, err := parseNames(names)
	if err != nil {
		return nil, err
	}
	lease, err := s.Lease(ctx)
	if err != nil {
		return nil, err
	}
	defer lease.Unlock()
	raw, err := s.content.ReadAll(index.Digest, 0)
	if err != nil {
		return nil, fmt.Errorf("reading index: %w", err)
	}
	idx, err := manifest.ParseIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", index.Digest, err)
	}
	if !slices.ContainsFunc(idx.Manifests, func(m ocispec.Descriptor) bool { return m.Digest == desc.Digest }) {
		return nil, fmt.Errorf("index %s does not list manifest %s: %w", index.Digest, desc.Digest, ErrInvalid)
	}
	img, err := s.resolveManifest(desc)
	if err != nil {
		return nil, err
	}
	if img.IndexDigest != "" {
		return nil, fmt.Errorf("manifest %s is itself an index: %w", desc.Digest, ErrInvalid)
	}
	img.IndexDigest = index.Digest
	return s.record(ctx, img, refs)
}
