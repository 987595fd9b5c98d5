package rootfs

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// BindConsole bind-mounts the pty slave at slavePath (a path in the new
// root, normally /dev/pts/N) onto /dev/console. Called after PivotRoot.
//
// /dev/console is opened without following any symlink and must be a
// regular file or a character device: an image that plants a
// /dev/console symlink (to /proc/sysrq-trigger, say) would otherwise turn
// the bind into a way to make a masked kernel file writable
// (CVE-2025-52565). A symlink there is replaced by an empty file.
func BindConsole(slavePath string) error {
	src, err := os.OpenFile(slavePath, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer src.Close()
	if kind, rdev, err := fileType(src); err != nil {
		return err
	} else if kind != unix.S_IFCHR || !isPtySlave(rdev) {
		return fmt.Errorf("console %s is not a pty slave: %w", slavePath, ErrUnsafe)
	}
	target, err := consoleTarget()
	if err != nil {
		return err
	}
	defer target.Close()
	o := Options{Flags: unix.MS_BIND}
	tree, err := cloneTree(int(src.Fd()), "", false)
	if err == nil {
		defer unix.Close(tree)
		err = attach(tree, target)
	}
	return asMountError(err, slavePath, "/dev/console", "bind", o)
}

// consoleTarget opens /dev/console as an O_PATH handle, creating it as an
// empty file when missing and replacing a symlink by one.
func consoleTarget() (*os.File, error) {
	dev, err := openStrict(unix.AT_FDCWD, "/dev")
	if err != nil {
		return nil, err
	}
	defer dev.Close()
	f, err := openAtNoFollow(dev, "console", "/dev/console")
	if errors.Is(err, unix.ENOENT) {
		return createAt(dev, "console", "/dev/console")
	}
	if err != nil {
		return nil, err
	}
	kind, _, err := fileType(f)
	switch {
	case err != nil:
		f.Close()
		return nil, err
	case kind == unix.S_IFREG || kind == unix.S_IFCHR:
		return f, nil
	case kind == unix.S_IFLNK:
		f.Close()
		if err := unix.Unlinkat(int(dev.Fd()), "console", 0); err != nil {
			return nil, &os.PathError{Op: "unlink", Path: "/dev/console", Err: err}
		}
		return createAt(dev, "console", "/dev/console")
	default:
		f.Close()
		return nil, fmt.Errorf("/dev/console is neither a file nor a device: %w", ErrUnsafe)
	}
}

// isPtySlave reports whether rdev is a Unix 98 pty slave (majors 136-143):
// a node planted at /dev/pts/N without a devpts mount must not become the
// console.
func isPtySlave(rdev uint64) bool {
	major := unix.Major(rdev)
	return major >= 136 && major <= 143
}
