package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/runtime/driver"
)

// exportBuild writes the built image's filesystem as --output asks: a
// directory (type=local) or a tar file or stream (type=tar).
func (e *Engine) exportBuild(ctx context.Context, img *image.Image, out BuildOutput, stdout io.Writer) (retErr error) {
	if err := e.images.Unpack(ctx, img); err != nil {
		return err
	}
	key := "build-export-" + img.ID.Encoded()[:12] + fmt.Sprintf("-%d", os.Getpid())
	dir := filepath.Join(e.runroot, "builder", key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.Remove(dir)
	if len(img.Config.RootFS.DiffIDs) > 0 {
		sms, err := e.images.Snapshots().View(ctx, key, img.Config.RootFS.DiffIDs)
		if err != nil {
			return err
		}
		defer e.images.Snapshots().Remove(context.WithoutCancel(ctx), key)
		if err := driver.MountRootfs(dir, driverMounts(sms)); err != nil {
			return err
		}
		defer driver.UnmountRootfs(dir)
	}
	switch out.Type {
	case "tar":
		return exportTar(ctx, dir, out.Dest, stdout)
	case "local":
		return exportLocal(ctx, dir, out.Dest)
	}
	return errdefs.Errorf(errdefs.ErrInvalid, "unsupported output type %q (local and tar are)", out.Type)
}

func exportTar(ctx context.Context, dir, dest string, stdout io.Writer) error {
	if dest == "-" || dest == "" {
		return layer.Tar(ctx, dir, stdout)
	}
	f, err := os.Create(dest)
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	if err := layer.Tar(ctx, dir, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// exportLocal copies the tree into dest through a tar stream, so the
// same safe extraction as for layers applies.
func exportLocal(ctx context.Context, dir, dest string) error {
	if dest == "" {
		return errdefs.Errorf(errdefs.ErrInvalid, "--output type=local needs dest=<dir>")
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(layer.Tar(ctx, dir, pw)) }()
	_, err := layer.Apply(ctx, dest, pr, layer.Options{Whiteouts: layer.WhiteoutOCI, NoDevices: true})
	pr.CloseWithError(io.ErrClosedPipe)
	return err
}
