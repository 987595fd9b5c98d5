package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/sys/mountinfo"
	"github.com/onggi/onggi/runtime/driver"
	"golang.org/x/sys/unix"
)

// claim marks this build alive for its whole run: an flock on
// <runroot>/<id>.lock. Builds killed without cleaning up (kill -9) leave a
// lock file nobody holds, which the next build sweeps: their step
// containers, mounts, snapshots and bundles.
func (bd *build) claim(ctx context.Context) (release func(), err error) {
	if err := os.MkdirAll(bd.b.runroot, 0o700); err != nil {
		return nil, err
	}
	// Locked before it gets its name: a sweeping build never sees the
	// lock file of a live build unlocked.
	f, err := os.CreateTemp(bd.b.runroot, ".claim-*")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(bd.b.runroot, bd.id+".lock")
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		os.Remove(f.Name())
		f.Close()
		return nil, fmt.Errorf("locking build %s: %w", bd.id, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		f.Close()
		return nil, fmt.Errorf("locking build %s: %w", bd.id, err)
	}
	bd.sweep(ctx)
	return func() {
		os.Remove(path)
		f.Close()
	}, nil
}

// sweep cleans up after every build whose lock file is not held.
func (bd *build) sweep(ctx context.Context) {
	locks, _ := filepath.Glob(filepath.Join(bd.b.runroot, "*.lock"))
	for _, l := range locks {
		id := strings.TrimSuffix(filepath.Base(l), ".lock")
		if id == bd.id {
			continue
		}
		f, err := os.OpenFile(l, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			if bd.b.cleanupBuild(ctx, id) == nil {
				os.Remove(l)
			}
		}
		f.Close()
	}
}

// cleanupBuild removes what a dead build id left: step containers, mounts
// under its bundles (deepest first), its snapshots, its directories.
func (b *Builder) cleanupBuild(ctx context.Context, id string) error {
	dirs, _ := filepath.Glob(filepath.Join(b.runroot, id+"-*"))
	if len(dirs) > 0 {
		if drv, err := b.driver(); err == nil {
			for _, d := range dirs {
				_ = drv.Delete("build-"+id+"-"+strings.TrimPrefix(filepath.Base(d), id+"-"), true)
			}
		}
	}
	var errs []error
	for _, d := range dirs {
		mounts, _ := mountinfo.GetMounts(mountinfo.PrefixFilter(d))
		sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Mountpoint) > len(mounts[j].Mountpoint) })
		clean := true
		for _, m := range mounts {
			if err := driver.UnmountRootfs(m.Mountpoint); err != nil {
				errs = append(errs, err)
				clean = false
			}
		}
		if clean {
			os.RemoveAll(d)
		}
	}
	snaps, err := b.store.Snapshots().List(ctx)
	if err == nil {
		for _, s := range snaps {
			if strings.HasPrefix(s.Key, "build-"+id+"-") || strings.HasPrefix(s.Key, "build-view-"+id+"-") {
				if err := b.store.Snapshots().Remove(ctx, s.Key); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}
