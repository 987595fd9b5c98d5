package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// SnapshotMounts records the IDs of every mount of the calling thread's
// mount namespace.
func SnapshotMounts() (MountSnapshot, error) {
	mounts, err := threadMounts(nil)
	if err != nil {
		return nil, err
	}
	s := MountSnapshot{}
	for _, m := range mounts {
		s[m.ID] = true
	}
	return s, nil
}

// NewMounts lists the mounts at rootfs or below it that are not in the
// snapshot: what a container's setup added, including mounts its init made
// before dying midway.
func (s MountSnapshot) NewMounts(rootfs string) ([]HostMount, error) {
	real, err := filepath.EvalSymlinks(rootfs)
	if err != nil {
		return nil, fieldErr("root.path", err)
	}
	mounts, err := threadMounts(mountinfo.PrefixFilter(real))
	if err != nil {
		return nil, err
	}
	var out []HostMount
	for _, m := range mounts {
		if s[m.ID] {
			continue
		}
		rel, err := filepath.Rel(real, m.Mountpoint)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		out = append(out, HostMount{ID: m.ID, Parent: m.Parent, Path: filepath.Clean("/" + rel)})
	}
	return out, nil
}

// UnmountHost takes down the recorded mounts of a container that shared
// the runtime's mount namespace: children before parents (deepest first),
// each with MNT_DETACH. Every mount point is reopened inside the rootfs by
// descriptor refusing symlinks, and unmounted only if it still is the
// recorded mount (same mount ID), through its descriptor: a container that
// swapped a directory for a symlink to a host path cannot make the runtime
// unmount a host mount. A mount already gone is skipped.
func UnmountHost(rootfs string, mounts []HostMount) error {
	if len(mounts) == 0 {
		return nil
	}
	real, err := filepath.EvalSymlinks(rootfs)
	if errors.Is(err, os.ErrNotExist) {
		// A mount point cannot be removed while mounted in our namespace:
		// the mounts went with it (someone else unmounted them).
		return nil
	}
	if err != nil {
		return fieldErr("root.path", err)
	}
	top, err := os.OpenFile(real, unix.O_PATH|unix.O_NOFOLLOW|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer top.Close()
	var errs []error
	for _, m := range childrenFirst(mounts) {
		if err := unmountOne(top, m); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return checkUnmounted(real, mounts)
}

// unmountOne detaches m if the mount at its path (resolved below top) is
// still m.
func unmountOne(top *os.File, m HostMount) error {
	f := top
	if m.Path != "/" {
		var err error
		f, err = openStrict(int(top.Fd()), m.Path)
		if err != nil {
			// Gone, or the path now holds a symlink (ELOOP, EXDEV): not
			// the recorded mount. If that one still hangs below the
			// rootfs bind, it goes with it; checkUnmounted has the last
			// word.
			return nil
		}
		defer f.Close()
	}
	id, err := mountID(f)
	if err != nil {
		return fmt.Errorf("unmounting %s: %w", m.Path, err)
	}
	if id != m.ID {
		return nil // gone (or covered by a mount we do not know)
	}
	fdPath := "/proc/thread-self/fd/" + strconv.Itoa(int(f.Fd()))
	if err := unix.Unmount(fdPath, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
		return fmt.Errorf("unmounting %s: %w", m.Path, &os.SyscallError{Syscall: "umount2", Err: err})
	}
	return nil
}

// mountID is the ID of the mount f is on (its root when f is a mount point).
func mountID(f *os.File) (int, error) {
	var stx unix.Statx_t
	err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &stx)
	if err != nil {
		return 0, &os.SyscallError{Syscall: "statx", Err: err}
	}
	if stx.Mask&unix.STATX_MNT_ID != 0 {
		return int(stx.Mnt_id), nil
	}
	// Before Linux 5.8 statx has no mount ID; fdinfo has had it since 3.15.
	data, err := os.ReadFile("/proc/thread-self/fdinfo/" + strconv.Itoa(int(f.Fd())))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "mnt_id:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("no mount ID for %s: %w", f.Name(), ErrUnsupported)
}

// childrenFirst orders mounts so that every mount comes before its parent:
// stacked mounts and submounts are detached before what they sit on.
func childrenFirst(mounts []HostMount) []HostMount {
	children := map[int]int{}
	for _, m := range mounts {
		children[m.Parent]++
	}
	done := map[int]bool{}
	out := make([]HostMount, 0, len(mounts))
	for len(out) < len(mounts) {
		progress := false
		for _, m := range mounts {
			if done[m.ID] || children[m.ID] > 0 {
				continue
			}
			done[m.ID] = true
			children[m.Parent]--
			out = append(out, m)
			progress = true
		}
		if !progress { // a cycle cannot happen in a mount tree; be safe anyway
			for _, m := range mounts {
				if !done[m.ID] {
					done[m.ID] = true
					out = append(out, m)
				}
			}
		}
	}
	return out
}

// checkUnmounted fails if a recorded mount is still in the mount table.
func checkUnmounted(real string, mounts []HostMount) error {
	left, err := threadMounts(mountinfo.PrefixFilter(real))
	if err != nil {
		return err
	}
	var still []string
	for _, l := range left {
		for _, m := range mounts {
			if l.ID == m.ID && l.Mountpoint == filepath.Join(real, m.Path) {
				still = append(still, l.Mountpoint)
			}
		}
	}
	if len(still) > 0 {
		return fmt.Errorf("still mounted after unmount: %s", strings.Join(still, ", "))
	}
	return nil
}
