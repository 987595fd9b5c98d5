package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/onggi/onggi/image/layer"
	digest "github.com/opencontainers/go-digest"
)

// UnpackImage writes the flattened root filesystem of an image into dir
// (created; it should be empty), as `umoci unpack` does: a one-layer image
// is applied straight into dir, a deeper one layer by layer into sibling
// temp dirs then merged (whiteouts applied). It uses the same safe applier
// as the snapshotter, with the store's caps.
func (e *Engine) UnpackImage(ctx context.Context, ref, dir string) error {
	img, err := e.images.Get(ctx, ref)
	if err != nil {
		return err
	}
	opts := layer.Options{Whiteouts: layer.WhiteoutOCI, NoSameOwner: os.Geteuid() != 0, NoDevices: os.Geteuid() != 0}
	layers := img.Manifest.Layers
	if len(layers) == 1 {
		return e.applyBlob(ctx, dir, img.Manifest.Layers[0].Digest, opts)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".onggi-unpack-")
	if err != nil {
		return fmt.Errorf("unpacking %s: %w", ref, err)
	}
	defer os.RemoveAll(tmp)
	var dirs []string
	for i, l := range layers {
		d := filepath.Join(tmp, strconv.Itoa(i))
		if err := e.applyBlob(ctx, d, l.Digest, opts); err != nil {
			return err
		}
		dirs = append(dirs, d)
	}
	if err := layer.Merge(ctx, dir, dirs, opts); err != nil {
		return fmt.Errorf("unpacking %s: %w", ref, err)
	}
	return nil
}

func (e *Engine) applyBlob(ctx context.Context, dir string, d digest.Digest, opts layer.Options) error {
	f, err := e.images.Content().Open(d)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := layer.Apply(ctx, dir, f, opts); err != nil {
		return fmt.Errorf("applying layer %s: %w", d, err)
	}
	return nil
}
