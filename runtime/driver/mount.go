package driver

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/moby/sys/mountinfo"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/runtime/rootfs"
	"golang.org/x/sys/unix"
)

// mountError names the mount(2) call that failed, flags by name.
type mountError struct {
	op, source, target, fstype string
	flags                      uintptr
	data                       string
	err                        error
}

func (e *mountError) Error() string {
	return fmt.Sprintf("%s %s on %s (type %s, flags %s, data %q): %v", e.op, e.source, e.target, e.fstype,
		rootfs.FlagNames(e.flags), e.data, e.err)
}

func (e *mountError) Unwrap() error { return e.err }

func mountRootfs(target string, ms []Mount) (retErr error) {
	if len(ms) == 0 {
		return fmt.Errorf("%w: rootfs %s: no mounts", errdefs.ErrInvalid, target)
	}
	mounted, err := mountinfo.Mounted(target)
	if err != nil {
		return fmt.Errorf("rootfs %s: %w", target, err)
	}
	if mounted {
		return nil
	}
	defer func() {
		if retErr != nil {
			_ = unmountRootfs(target)
		}
	}()
	for _, m := range ms {
		if err := mountOne(target, m); err != nil {
			return err
		}
	}
	return nil
}

func mountOne(target string, m Mount) error {
	o := rootfs.ParseOptions(m.Options)
	data := strings.Join(o.Data, ",")
	// Overlay's options are one page; image/snapshot names lower layers by
	// short links so they fit, and says so if they do not.
	if len(data) >= os.Getpagesize() {
		return fmt.Errorf("%w: rootfs %s: %d bytes of mount options exceed a page", errdefs.ErrInvalid, target, len(data))
	}
	flags := o.Flags
	bind := flags&unix.MS_BIND != 0
	if bind {
		// mount(2) ignores MS_RDONLY on a new bind: it takes a remount.
		flags &^= unix.MS_RDONLY
	}
	if err := unix.Mount(m.Source, target, m.Type, flags, data); err != nil {
		return &mountError{op: "mount", source: m.Source, target: target, fstype: m.Type, flags: flags, data: data, err: err}
	}
	if bind && o.Flags&unix.MS_RDONLY != 0 {
		re := uintptr(unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY) | o.Flags&(unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC)
		if err := unix.Mount("", target, "", re, ""); err != nil {
			return &mountError{op: "remount", target: target, flags: re, err: err}
		}
	}
	return nil
}

// unmountRootfs removes every mount stacked at target: EBUSY (a process
// still inside) falls back to a lazy detach, as the container is gone for
// us either way.
func unmountRootfs(target string) error {
	for range 64 {
		err := unix.Unmount(target, unix.UMOUNT_NOFOLLOW)
		if errors.Is(err, unix.EBUSY) {
			err = unix.Unmount(target, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			// Not a mount point (any more), or no such directory.
			return nil
		default:
			return &os.PathError{Op: "umount", Path: target, Err: err}
		}
	}
	return fmt.Errorf("rootfs %s: still mounted after 64 unmounts", target)
}
