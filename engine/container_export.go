package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/moby/sys/mountinfo"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/runtime/driver"
)

// exportContainer tars the container's whole filesystem as its snapshot
// shows it: the host-side mount has none of the container's /proc, /sys,
// /dev or volume mounts, so there is nothing to exclude.
func (e *Engine) exportContainer(ctx context.Context, ref string, w io.Writer) error {
	return e.withContainerRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		if err := layer.Tar(ctx, rootfs, w); err != nil {
			return fmt.Errorf("exporting %s: %w", c.ID, err)
		}
		return nil
	})
}

func isMounted(p string) bool {
	ok, err := mountinfo.Mounted(p)
	return err == nil && ok
}

// mountSnapshot mounts c's snapshot at a fresh directory beside its
// bundle and returns it with the undo (unmount, remove). The caller holds
// the container's lock.
func (e *Engine) mountSnapshot(ctx context.Context, c *container.Container) (string, func(), error) {
	key := c.SnapshotKey
	if key == "" {
		key = c.ID
	}
	sms, err := e.images.Snapshots().Mounts(ctx, key)
	if err != nil {
		return "", nil, fmt.Errorf("container %s: %w", c.ID, err)
	}
	ms := make([]driver.Mount, len(sms))
	for i, m := range sms {
		ms[i] = driver.Mount{Type: m.Type, Source: m.Source, Options: m.Options}
	}
	parent := filepath.Join(e.runroot, "containers", c.ID)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp(parent, "mnt-")
	if err != nil {
		return "", nil, err
	}
	if err := driver.MountRootfs(dir, ms); err != nil {
		os.Remove(dir)
		return "", nil, fmt.Errorf("mounting the rootfs of %s: %w", c.ID, err)
	}
	return dir, func() {
		_ = driver.UnmountRootfs(dir)
		_ = os.Remove(dir)
	}, nil
}
