package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// PivotRoot makes rootfs the root: pivot_root(".", ".") and a lazy unmount
// of the old root stacked on it, or, when noPivot is set or pivot_root
// returns EINVAL (a rootfs on the initramfs cannot be pivoted), MS_MOVE of
// rootfs onto "/" and chroot. It leaves the working directory at "/".
func PivotRoot(rootfs string, noPivot bool) error {
	rootfs, err := filepath.EvalSymlinks(rootfs)
	if err != nil {
		return err
	}
	if noPivot {
		return moveRoot(rootfs)
	}
	err = pivotRoot(rootfs)
	if errors.Is(err, unix.EINVAL) {
		return moveRoot(rootfs)
	}
	return err
}

func pivotRoot(rootfs string) error {
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/", Err: err}
	}
	defer unix.Close(oldRoot)
	if err := unix.Chdir(rootfs); err != nil {
		return &os.PathError{Op: "chdir", Path: rootfs, Err: err}
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		if err != unix.EINVAL {
			return &os.PathError{Op: "pivot_root", Path: rootfs, Err: err}
		}
		// A shared rootfs mount (rootfsPropagation "shared") is refused
		// too; make the rootfs mount itself private and try once more.
		// Finalize applies rootfsPropagation again on the new root.
		if mountPath("", ".", "", unix.MS_PRIVATE, "") != nil || unix.PivotRoot(".", ".") != nil {
			return &os.PathError{Op: "pivot_root", Path: rootfs, Err: unix.EINVAL}
		}
	}
	return detachOldRoot(oldRoot)
}

// detachOldRoot unmounts the old root, now stacked on "/". It is made
// rslave first so the unmount does not propagate to the host; rslave, not
// rprivate, because host mounts may still be in use (runc learnt this with
// devicemapper).
func detachOldRoot(oldRoot int) error {
	if err := unix.Fchdir(oldRoot); err != nil {
		return &os.PathError{Op: "fchdir", Path: "old root", Err: err}
	}
	if err := mountPath("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return err
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return &os.PathError{Op: "umount2", Path: "old root", Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}

// moveRoot is the fallback where pivot_root cannot work: detach what the
// host mounted outside rootfs (so a chroot escape finds nothing), move
// rootfs onto "/" and chroot into it. Without pivot_root the old root stays
// mounted under the new one; only a chroot keeps the container from it.
func moveRoot(rootfs string) error {
	// MS_MOVE refuses a mount whose parent is shared, as pivot_root does.
	if err := parentMountPrivate(filepath.Dir(rootfs)); err != nil {
		return err
	}
	if err := detachOutside(rootfs); err != nil {
		return err
	}
	if err := unix.Chdir(rootfs); err != nil {
		return &os.PathError{Op: "chdir", Path: rootfs, Err: err}
	}
	if err := mountPath(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return err
	}
	if err := unix.Chroot("."); err != nil {
		return &os.PathError{Op: "chroot", Path: rootfs, Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}

// detachOutside lazily unmounts every mount that is neither "/" nor rootfs,
// an ancestor of it or under it, deepest first. Mounts the kernel keeps
// locked (inherited into a user namespace) stay; they are unreachable after
// the chroot anyway.
func detachOutside(rootfs string) error {
	mounts, err := threadMounts(nil)
	if err != nil {
		return err
	}
	var points []string
	for _, m := range mounts {
		mp := m.Mountpoint
		if mp == "/" || inside(mp, rootfs) || inside(rootfs, mp) {
			continue
		}
		points = append(points, mp)
	}
	sort.Slice(points, func(i, j int) bool { return strings.Count(points[i], "/") > strings.Count(points[j], "/") })
	for _, mp := range points {
		err := unix.Unmount(mp, unix.MNT_DETACH)
		if err != nil && err != unix.EINVAL && err != unix.EPERM && err != unix.ENOENT {
			return &os.PathError{Op: "umount2", Path: mp, Err: err}
		}
	}
	return nil
}
