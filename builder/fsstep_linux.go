package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/image/snapshot"
	"github.com/onggi/onggi/runtime/driver"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// unpack makes sure st's layers are unpacked in the snapshotter.
func (bd *build) unpack(ctx context.Context, st *state) error {
	cs := bd.b.store.Content()
	err := bd.b.store.Snapshots().Unpack(ctx, st.diffIDs(), func(i int) (io.ReadCloser, error) {
		return cs.Open(st.layers[i].Digest)
	})
	if err != nil {
		return fmt.Errorf("unpacking build state: %w", err)
	}
	return nil
}

// mutate runs fn on a writable snapshot of st mounted at <bundle>/rootfs
// and returns the layer of its changes (nil when nothing changed). The
// snapshot, the mount and the bundle are gone when it returns, success or
// not.
func (bd *build) mutate(ctx context.Context, st *state, tag string, fn func(rootfs, bundle string) (keepEntry, error)) (_ *ocispec.Descriptor, _ digest.Digest, retErr error) {
	store := bd.b.store
	if err := bd.unpack(ctx, st); err != nil {
		return nil, "", err
	}
	key := "build-" + bd.id + "-" + tag
	sms, err := store.Snapshots().Prepare(ctx, key, st.diffIDs())
	if err != nil {
		return nil, "", fmt.Errorf("preparing build snapshot: %w", err)
	}
	defer store.Snapshots().Remove(context.WithoutCancel(ctx), key)
	bundle := filepath.Join(bd.b.runroot, bd.id+"-"+tag)
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return nil, "", fmt.Errorf("build step bundle: %w", err)
	}
	if err := mountVolatile(rootfs, driverMounts(sms)); err != nil {
		os.RemoveAll(bundle)
		return nil, "", fmt.Errorf("mounting build snapshot: %w", err)
	}
	keep, err := fn(rootfs, bundle)
	if uerr := driver.UnmountRootfs(rootfs); uerr != nil {
		// Never RemoveAll through a mount that is still there.
		return nil, "", fmt.Errorf("unmounting build snapshot: %w", uerr)
	}
	os.RemoveAll(bundle)
	if err != nil {
		return nil, "", err
	}
	var n int64
	desc, diffID, err := store.WriteLayer(ctx, layer.Uncompressed, func(w io.Writer) error {
		cw := &countWriter{w: w}
		defer func() { n = cw.n }()
		if keep == nil {
			return store.Snapshots().Diff(ctx, key, cw)
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(store.Snapshots().Diff(ctx, key, pw)) }()
		err := filterTar(pr, cw, keep)
		pr.CloseWithError(io.ErrClosedPipe)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	d, id := layerOf(desc, diffID, n)
	return d, id, nil
}

// mountVolatile mounts a step's snapshot with overlayfs's "volatile"
// option when it can (as `run --rm` does): the snapshot is diffed and
// thrown away, so syncing it is wasted, and without the option unmounting
// it syncs the whole filesystem holding the upper dir — tens of
// milliseconds per step on a busy host. Kernels before 5.10 refuse the
// option; the plain mount follows.
func mountVolatile(target string, ms []driver.Mount) error {
	if len(ms) == 1 && ms[0].Type == "overlay" {
		v := []driver.Mount{{Type: ms[0].Type, Source: ms[0].Source, Options: append(slices.Clone(ms[0].Options), "volatile")}}
		if driver.MountRootfs(target, v) == nil {
			return nil
		}
	}
	return driver.MountRootfs(target, ms)
}

func driverMounts(in []snapshot.Mount) []driver.Mount {
	out := make([]driver.Mount, len(in))
	for i, m := range in {
		out[i] = driver.Mount{Type: m.Type, Source: m.Source, Options: m.Options}
	}
	return out
}

func isNotEmpty(err error) bool { return errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) }
