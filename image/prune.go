package image

import (
	"context"
	"errors"
	"fmt"

	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/snapshot"
	digest "github.com/opencontainers/go-digest"
)

// PruneOptions are image prune's options.
type PruneOptions struct {
	// All removes every image no container uses, not just dangling ones.
	All bool
	// Filter, when set, must return true for an image to be pruned
	// (docker's --filter until=/label=).
	Filter func(*Image) bool
}

// PruneReport is what Prune removed.
type PruneReport struct {
	Deleted        []DeleteResponse
	SpaceReclaimed int64
}

// Prune removes dangling images (or, with All, all unused ones), then
// collects the blobs and layers nothing references any more.
func (s *Store) Prune(ctx context.Context, opts PruneOptions) (PruneReport, error) {
	imgs, err := s.List(ctx)
	if err != nil {
		return PruneReport{}, err
	}
	var rep PruneReport
	for _, img := range imgs {
		if s.inUse(img.ID) || (!opts.All && !img.Dangling()) || (opts.Filter != nil && !opts.Filter(img)) {
			continue
		}
		resp, err := s.Remove(ctx, img.ID.String(), RemoveOptions{Force: true, NoPrune: true})
		if err != nil {
			return rep, fmt.Errorf("pruning image %s: %w", short(img.ID), err)
		}
		rep.Deleted = append(rep.Deleted, resp...)
	}
	gc, err := s.GC(ctx)
	if err != nil {
		return rep, err
	}
	rep.SpaceReclaimed = gc.Bytes
	for _, l := range gc.Layers {
		rep.Deleted = append(rep.Deleted, DeleteResponse{Deleted: l})
	}
	return rep, nil
}

// GCReport is what GC removed.
type GCReport struct {
	Blobs  int             // blobs deleted
	Bytes  int64           // bytes freed (blobs and layer dirs)
	Layers []digest.Digest // layer chain IDs removed
	Ingest int             // leftovers of interrupted writes and unpacks
}

// GC deletes the blobs and unpacked layers no image references and the temp
// files of interrupted writes. It waits for every Lease to be released.
func (s *Store) GC(ctx context.Context) (GCReport, error) {
	l, err := s.content.LockGC(ctx)
	if err != nil {
		return GCReport{}, err
	}
	defer l.Unlock()
	return s.collect(ctx)
}

// collectQuietly is the GC after rmi: skipped when a write holds a lease
// (the next GC gets it), and reported as layer deletions.
func (s *Store) collectQuietly(ctx context.Context) []DeleteResponse {
	l, err := s.content.TryLockGC()
	if err != nil || l == nil {
		return nil
	}
	defer l.Unlock()
	rep, err := s.collect(ctx)
	if err != nil {
		return nil
	}
	out := make([]DeleteResponse, 0, len(rep.Layers))
	for _, c := range rep.Layers {
		out = append(out, DeleteResponse{Deleted: c})
	}
	return out
}

// collect does GC's work; the caller holds the GC lock.
func (s *Store) collect(ctx context.Context) (GCReport, error) {
	var rep GCReport
	n, err := s.content.CleanIngest()
	rep.Ingest = n
	if err != nil {
		return rep, err
	}
	n, err = s.snaps.Clean(ctx)
	rep.Ingest += n
	if err != nil {
		return rep, err
	}
	blobs, chains, err := s.referenced(ctx)
	if err != nil {
		return rep, err
	}
	if err := s.collectLayers(ctx, chains, &rep); err != nil {
		return rep, err
	}
	err = s.content.Walk(func(i content.Info) error {
		if blobs[i.Digest] {
			return nil
		}
		if err := s.content.Delete(i.Digest); err != nil {
			return err
		}
		rep.Blobs++
		rep.Bytes += i.Size
		return nil
	})
	return rep, err
}

// referenced lists the blobs and layer chain IDs the images use.
func (s *Store) referenced(ctx context.Context) (map[digest.Digest]bool, map[digest.Digest]bool, error) {
	d, err := s.readDB()
	if err != nil {
		return nil, nil, err
	}
	blobs, chains := map[digest.Digest]bool{}, map[digest.Digest]bool{}
	for id, rec := range d.Images {
		blobs[rec.Manifest], blobs[id] = true, true
		if rec.Index != "" {
			blobs[rec.Index] = true
			s.keepIndexChildren(rec.Index, blobs)
		}
		img := &Image{ManifestDigest: rec.Manifest}
		if err := s.load(img); err != nil {
			// A damaged image keeps what it names, so GC never makes it worse.
			continue
		}
		for _, l := range img.Manifest.Layers {
			blobs[l.Digest] = true
		}
		for _, c := range snapshot.ChainIDs(img.Config.RootFS.DiffIDs) {
			chains[c] = true
		}
	}
	return blobs, chains, nil
}

func (s *Store) collectLayers(ctx context.Context, keep map[digest.Digest]bool, rep *GCReport) error {
	layers, err := s.snaps.Layers(ctx)
	if err != nil {
		return err
	}
	for _, l := range layers {
		if keep[l.ChainID] {
			continue
		}
		err := s.snaps.RemoveLayer(ctx, l.ChainID)
		if err == nil {
			rep.Layers = append(rep.Layers, l.ChainID)
			rep.Bytes += l.Size
		} else if !errors.Is(err, ErrInUse) {
			return err
		}
	}
	return nil
}
