package buildctx

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/builder/fscopy"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image/layer"
)

// FromTar unpacks a tar build context (plain, gzip, bzip2, xz or zstd, as
// `docker build - < ctx.tar.gz`) into a new directory under scratch and
// opens it. Entries are confined to that directory: absolute names, ".."
// components, hard links to outside it and writes through symlinks are
// refused with an error wrapping errdefs.ErrInvalid. Owners are not
// kept (COPY writes 0:0 unless --chown) and device nodes are skipped.
// Close removes the directory.
func FromTar(r io.Reader, scratch string) (_ *Context, retErr error) {
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return nil, fmt.Errorf("build context scratch: %w", err)
	}
	dir, err := os.MkdirTemp(scratch, "context-")
	if err != nil {
		return nil, fmt.Errorf("build context scratch: %w", err)
	}
	defer func() {
		if retErr != nil {
			os.RemoveAll(dir)
		}
	}()
	rc, _, err := fscopy.Decompress(r)
	if err != nil {
		return nil, fmt.Errorf("reading build context: %w", err)
	}
	defer rc.Close()
	_, err = layer.Apply(context.Background(), dir, rc, layer.Options{
		Whiteouts:   layer.WhiteoutOCI,
		NoSameOwner: true,
		NoDevices:   true,
	})
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalid, "unpacking build context: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("build context scratch: %w", err)
	}
	abs, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("build context scratch: %w", err)
	}
	c := &Context{dir: abs, scratch: true}
	if err := c.loadIgnore(IgnoreFile); err != nil {
		return nil, err
	}
	return c, nil
}
