package image

import (
	"context"

	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/snapshot"
	digest "github.com/opencontainers/go-digest"
)

// DiskUsage computes the numbers of `system df`.
func (s *Store) DiskUsage(ctx context.Context) (DiskUsage, error) {
	imgs, err := s.List(ctx)
	if err != nil {
		return DiskUsage{}, err
	}
	sizes := map[digest.Digest]int64{} // blob digest or layer chain ID → bytes
	if err := s.content.Walk(func(i content.Info) error { sizes[i.Digest] = i.Size; return nil }); err != nil {
		return DiskUsage{}, err
	}
	layers, err := s.snaps.Layers(ctx)
	if err != nil {
		return DiskUsage{}, err
	}
	for _, l := range layers {
		sizes["layer:"+l.ChainID] = l.Size
	}
	var du DiskUsage
	for _, sz := range sizes {
		du.TotalSize += sz
	}
	users := map[digest.Digest]int{}
	parts := make([][]digest.Digest, len(imgs))
	for i, img := range imgs {
		parts[i] = partsOf(img)
		for _, p := range parts[i] {
			users[p]++
		}
	}
	usedBy := map[digest.Digest]bool{}
	for i, img := range imgs {
		u := ImageUsage{Image: img, InUse: s.inUse(img.ID)}
		for _, p := range parts[i] {
			u.Size += sizes[p]
			if users[p] > 1 {
				u.SharedSize += sizes[p]
			}
			if u.InUse {
				usedBy[p] = true
			}
		}
		if u.InUse {
			du.Active++
		}
		du.Images = append(du.Images, u)
	}
	du.Reclaimable = du.TotalSize
	for p := range usedBy {
		du.Reclaimable -= sizes[p]
	}
	return du, nil
}

// partsOf lists the blobs and layer keys an image occupies, once each.
func partsOf(img *Image) []digest.Digest {
	seen := map[digest.Digest]bool{img.ManifestDigest: true, img.ID: true}
	for _, l := range img.Manifest.Layers {
		seen[l.Digest] = true
	}
	for _, c := range snapshot.ChainIDs(img.Config.RootFS.DiffIDs) {
		seen["layer:"+c] = true
	}
	out := make([]digest.Digest, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	return out
}
