package rootfs

import (
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// This file builds a rootfs for a container that lists no mount namespace:
// it shares the runtime's, so every mount it gets lands in the host's mount
// table. The rules are stricter than inside a private namespace:
//
//   - no propagation of "/" or of any host mount is changed, and the parent
//     of the rootfs is never made private (pivot_root is not used, so
//     nothing needs it);
//   - the rootfs is bound onto itself and that bind is made rslave right
//     after it is attached: every later mount sits below it, so none of them
//     propagates to the parent's peers, while host mounts still reach in;
//   - the init chroots into the bind (ChrootRoot); pivot_root would change
//     the root of every process in the namespace;
//   - the runtime lists what appeared below the rootfs (NewMounts) and takes
//     it all down on delete (UnmountHost).

// PrepareInHost is Prepare for a container sharing the runtime's mount
// namespace. The mounts are the same, resolved in the rootfs by descriptor
// as in Prepare. There is no undo here: the init cannot be relied on to
// survive its own failure, so the runtime removes whatever appeared below
// the rootfs (MountSnapshot.NewMounts, UnmountHost).
func PrepareInHost(spec *specs.Spec, rootfs string) error {
	rootfs, err := filepath.EvalSymlinks(rootfs)
	if err != nil {
		return fieldErr("root.path", err)
	}
	r, err := bindRootfsInHost(rootfs)
	if err != nil {
		return err
	}
	defer r.Close()
	for i, m := range spec.Mounts {
		if err := mountEntry(r, spec, m); err != nil {
			return fieldErr(fmt.Sprintf("mounts[%d]", i), err)
		}
	}
	if !needsDev(spec) {
		return nil
	}
	return populateDev(r, spec)
}

// bindRootfsInHost binds rootfs onto itself and returns the bind, opened
// through the very descriptor that was attached (no path walk after it).
// Attaching under a shared parent makes the new mount shared (the kernel's
// rule), so it is made rslave at once, before anything is mounted below it:
// a slave sends no mount events, which keeps the container's mounts out of
// the parent's peers (other namespaces).
func bindRootfsInHost(rootfs string) (*root, error) {
	o := Options{Flags: unix.MS_BIND | unix.MS_REC}
	tree, err := cloneTree(unix.AT_FDCWD, rootfs, true)
	if err != nil {
		return nil, asMountError(err, rootfs, rootfs, "bind", o)
	}
	err = unix.MoveMount(tree, "", unix.AT_FDCWD, rootfs, unix.MOVE_MOUNT_F_EMPTY_PATH)
	if err != nil {
		unix.Close(tree)
		return nil, &MountError{Source: rootfs, Target: rootfs, FSType: "bind", Flags: o.Flags, Step: "move_mount", Err: err}
	}
	if err := setPropagation(tree, unix.MS_SLAVE|unix.MS_REC); err != nil {
		unix.Close(tree)
		return nil, asMountError(err, "", rootfs, "", Options{Flags: unix.MS_SLAVE | unix.MS_REC})
	}
	return &root{path: rootfs, dir: os.NewFile(uintptr(tree), rootfs)}, nil
}

// ChrootRoot makes rootfs (the bind PrepareInHost made) the root of the
// calling process with chroot, for a container sharing the runtime's mount
// namespace, and leaves the working directory at "/". With the root process
// keeping CAP_SYS_CHROOT a chroot can be escaped; a container without a
// mount namespace has asked for the host's filesystem view anyway.
func ChrootRoot(rootfs string) error {
	rootfs, err := filepath.EvalSymlinks(rootfs)
	if err != nil {
		return fieldErr("root.path", err)
	}
	fd, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: rootfs, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.Fchdir(fd); err != nil {
		return &os.PathError{Op: "fchdir", Path: rootfs, Err: err}
	}
	if err := unix.Chroot("."); err != nil {
		return &os.PathError{Op: "chroot", Path: rootfs, Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}
