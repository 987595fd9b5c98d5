package link

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/onggi/onggi/errdefs"
)

// NewNetNS creates a network namespace and pins it by bind-mounting it on
// path (a new empty file; its directory must exist), with lo up so
// 127.0.0.1 works in a container from its first instruction. The namespace
// lives until DeleteNetNS, independent of any process, so the engine can
// wire it before the container starts and after it exits.
func NewNetNS(path string) (retErr error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, 0o444)
	if errors.Is(err, os.ErrExist) {
		return errdefs.Errorf(errdefs.ErrExists, "netns %s already exists", path)
	}
	if err != nil {
		return fmt.Errorf("creating netns file: %w", err)
	}
	f.Close()
	defer func() {
		if retErr != nil {
			os.Remove(path)
		}
	}()
	errc := make(chan error, 1)
	go func() {
		// unshare changes this thread only, and there is no safe way back:
		// the thread stays locked and the runtime ends it with the goroutine.
		runtime.LockOSThread()
		errc <- unshareNetNS(path)
	}()
	return <-errc
}

// unshareNetNS runs on a locked thread: it moves the thread into a new
// netns, pins it at path and brings lo up from inside.
func unshareNetNS(path string) error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return &netnsError{op: "unshare(CLONE_NEWNET)", path: path, err: err}
	}
	src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
	if err := unix.Mount(src, path, "", unix.MS_BIND, ""); err != nil {
		return &netnsError{op: "bind mount " + src, path: path, err: err}
	}
	// The zero handle opens its socket on this thread, i.e. in the new netns.
	h := hostHandle()
	lo, err := h.LinkByName("lo")
	if err == nil {
		err = h.LinkSetUp(lo)
	}
	if err != nil {
		unix.Unmount(path, unix.MNT_DETACH)
		return fmt.Errorf("bringing lo up in netns %s: %w", path, err)
	}
	return nil
}

// DeleteNetNS unpins the netns at path and removes the file; a missing
// file is not an error. The namespace itself (and any veth end in it) is
// freed by the kernel once no process or mount holds it any more.
// MNT_DETACH lets the unmount succeed while someone still has it open.
func DeleteNetNS(path string) error {
	err := unix.Unmount(path, unix.MNT_DETACH)
	switch {
	case err == nil, errors.Is(err, unix.EINVAL): // EINVAL: not (or no longer) a mount point
	case errors.Is(err, unix.ENOENT):
		return nil
	default:
		return &netnsError{op: "umount", path: path, err: err}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing netns file: %w", err)
	}
	return nil
}
