package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/archive"
	"github.com/onggi/onggi/image/bootstrap"
)

// BootstrapOptions are `image bootstrap` flags.
type BootstrapOptions struct {
	Include []string // debian: extra packages
	Mirror  string   // debian: apt mirror (default: the host's)
	Busybox string   // busybox: binary (default /bin/busybox)
}

// Bootstrap builds a base image locally and tags it with its Docker Hub
// name: "busybox" (busybox:latest) or "debian:SUITE" (debian:bookworm).
func (e *Engine) Bootstrap(ctx context.Context, what string, opts BootstrapOptions) (*image.Image, error) {
	name, tag, _ := strings.Cut(what, ":")
	var build func() (archive.Imported, error)
	var ref string
	switch {
	case name == "busybox" && (tag == "" || tag == "latest"):
		if len(opts.Include) > 0 {
			return nil, fmt.Errorf("bootstrap busybox: --include applies to debian only: %w", image.ErrInvalid)
		}
		ref = "docker.io/library/busybox:latest"
		build = func() (archive.Imported, error) {
			return bootstrap.Busybox(ctx, e.images.Content(), opts.Busybox)
		}
	case name == "debian" && tag != "" && tag != "latest":
		ref = "docker.io/library/debian:" + tag
		build = func() (archive.Imported, error) {
			return bootstrap.Debian(ctx, e.images.Content(), bootstrap.DebianOptions{
				Suite: tag, Include: opts.Include, Mirror: opts.Mirror,
				CacheDir: filepath.Join(e.root, "cache", "bootstrap"), Logf: e.logf,
			})
		}
	default:
		return nil, fmt.Errorf("cannot bootstrap %q (want busybox or debian:SUITE, e.g. debian:bookworm): %w", what, image.ErrInvalid)
	}
	img, err := e.storeLeased(ctx, build, ref)
	if err != nil {
		return nil, fmt.Errorf("bootstrapping %s: %w", what, err)
	}
	return img, nil
}

// storeLeased runs build and names its image under one lease, so a
// concurrent GC never sees the new blobs unreferenced.
func (e *Engine) storeLeased(ctx context.Context, build func() (archive.Imported, error), ref string) (*image.Image, error) {
	lease, err := e.images.Lease(ctx)
	if err != nil {
		return nil, err
	}
	defer lease.Unlock()
	imp, err := build()
	if err != nil {
		return nil, err
	}
	return e.images.Put(ctx, imp.Manifest, ref)
}
