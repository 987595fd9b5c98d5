package builder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image"
	digest "github.com/opencontainers/go-digest"
)

// Holds reports whether image id is a stage result the build cache keeps
// (an untagged image made by a multi-stage build). The engine's
// image-in-use hook should consult it so `image prune` leaves the cache
// to `builder prune`, as Docker's does.
func (b *Builder) Holds(id digest.Digest) bool { return b.cache.holds(id) }

// HoldsImage is Holds for the builder whose root is root
// (<onggi root>/builder) without opening it: one stat, cheap enough for
// the image store's in-use hook.
func HoldsImage(root string, id digest.Digest) bool {
	return openCache(filepath.Join(root, "cache")).holds(id)
}

// Prune empties the build cache: the index, the cache mounts, and the
// stage images it held (those nobody tagged since). It returns the bytes
// of cache mounts and records freed; the caller runs the image store's GC
// to free the blobs, and adds what that frees.
func (b *Builder) Prune(ctx context.Context) (int64, error) {
	held, err := b.cache.heldImages()
	if err != nil {
		return 0, err
	}
	for _, id := range held {
		img, err := b.store.Get(ctx, id.String())
		if err == nil && img.Dangling() {
			_, err = b.store.Remove(ctx, id.String(), image.RemoveOptions{Force: true, NoPrune: true})
		}
		if err != nil && !errors.Is(err, errdefs.ErrNotFound) && !errors.Is(err, errdefs.ErrInUse) {
			return 0, fmt.Errorf("pruning build cache image %s: %w", id, err)
		}
	}
	var n int64
	for _, dir := range []string{b.cache.dir, filepath.Join(b.root, "cache-mounts")} {
		size, err := removeTree(dir)
		n += size
		if err != nil {
			return n, fmt.Errorf("pruning build cache: %w", err)
		}
	}
	return n, nil
}

// removeTree removes dir and returns the bytes its files held.
func removeTree(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return n, err
	}
	return n, nil
}
