package rootfs

import (
	"errors"
	"fmt"
	"os"

	"github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Finalize runs after PivotRoot (and after sysctls are written): it applies
// linux.rootfsPropagation to the new root, makes readonlyPaths read-only,
// masks maskedPaths and, with root.readonly, makes "/" read-only. Paths are
// resolved inside the new root by descriptor; a missing path is skipped.
func Finalize(spec *specs.Spec) error {
	if spec.Linux != nil && spec.Linux.RootfsPropagation != "" {
		p, err := ParsePropagation(spec.Linux.RootfsPropagation)
		if err != nil {
			return fieldErr("linux.rootfsPropagation", err)
		}
		if err := mountPath("", "/", "", p, ""); err != nil {
			return fieldErr("linux.rootfsPropagation", err)
		}
	}
	r, err := openRoot("/")
	if err != nil {
		return err
	}
	defer r.Close()
	if spec.Linux != nil {
		if err := readonlyPaths(r, spec.Linux.ReadonlyPaths); err != nil {
			return err
		}
		if err := maskPaths(r, spec.Linux.MaskedPaths); err != nil {
			return err
		}
	}
	if spec.Root != nil && spec.Root.Readonly {
		return fieldErr("root.readonly", readonlyRoot(r))
	}
	return nil
}

// readonlyPaths binds each path onto itself, recursively, and makes the
// clone read-only before attaching it. mount_setattr only adds
// MOUNT_ATTR_RDONLY, so the nosuid/nodev/noexec a user namespace locks on
// the underlying mount are kept, as the kernel requires.
func readonlyPaths(r *root, paths []string) error {
	for i, p := range paths {
		if err := readonlyPath(r, p); err != nil {
			return fieldErr(fmt.Sprintf("linux.readonlyPaths[%d]", i), err)
		}
	}
	return nil
}

func readonlyPath(r *root, path string) error {
	target, err := r.open(path)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer target.Close()
	o := Options{Flags: unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY}
	tree, err := cloneTree(int(target.Fd()), "", true)
	if err == nil {
		defer unix.Close(tree)
		err = setAttr(tree, true, unix.MOUNT_ATTR_RDONLY, 0)
	}
	if err == nil {
		err = attach(tree, target)
	}
	return asMountError(err, path, path, "bind", o)
}

// maskPaths hides each path: /dev/null bound over a file, an empty
// read-only tmpfs over a directory.
func maskPaths(r *root, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	null, err := openNull(r)
	if err != nil {
		return err
	}
	defer null.Close()
	for i, p := range paths {
		if err := maskPath(r, null, p); err != nil {
			return fieldErr(fmt.Sprintf("linux.maskedPaths[%d]", i), err)
		}
	}
	return nil
}

// openNull opens the container's /dev/null and checks it is the null device
// (char 1:3). The image or another container sharing a volume could have
// put a regular file or a symlink there; binding that over a masked path
// would unmask it or expose a host file (CVE-2025-31133).
func openNull(r *root) (*os.File, error) {
	f, err := openStrict(int(r.dir.Fd()), "/dev/null")
	if err != nil {
		return nil, fmt.Errorf("masking paths: %w: %w", ErrUnsafe, err)
	}
	kind, rdev, err := fileType(f)
	if err == nil && (kind != unix.S_IFCHR || rdev != unix.Mkdev(1, 3)) {
		err = fmt.Errorf("masking paths: /dev/null is not the null device (char 1:3): %w", ErrUnsafe)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func maskPath(r *root, null *os.File, path string) error {
	target, err := pathrs.OpenatInRoot(r.dir, path)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "open in root", Path: path, Err: unwrapPathErr(err)}
	}
	defer target.Close()
	kind, _, err := fileType(target)
	if err != nil {
		return err
	}
	if kind == unix.S_IFDIR {
		o := Options{Flags: unix.MS_RDONLY}
		mfd, err := newFS("tmpfs", "tmpfs", o)
		if err == nil {
			defer unix.Close(mfd)
			err = attach(mfd, target)
		}
		return asMountError(err, "tmpfs", path, "tmpfs", o)
	}
	o := Options{Flags: unix.MS_BIND}
	tree, err := cloneTree(int(null.Fd()), "", false)
	if err == nil {
		defer unix.Close(tree)
		err = attach(tree, target)
	}
	return asMountError(err, "/dev/null", path, "bind", o)
}

// readonlyRoot makes the root mount read-only, keeping its other flags.
func readonlyRoot(r *root) error {
	o := Options{Flags: unix.MS_RDONLY | unix.MS_REMOUNT | unix.MS_BIND}
	return asMountError(setAttr(int(r.dir.Fd()), false, unix.MOUNT_ATTR_RDONLY, 0), "", "/", "", o)
}
