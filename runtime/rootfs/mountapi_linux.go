package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"golang.org/x/sys/unix"
)

// This file wraps the new mount API. Every function returns the name of
// the failing system call with the error, so callers can fill MountError.Step.

// stepErr is an error from one system call of a mount.
type stepErr struct {
	step string
	err  error
}

func (e *stepErr) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepErr) Unwrap() error { return e.err }

// asMountError wraps err into a MountError describing the mount.
func asMountError(err error, source, target, fstype string, o Options) error {
	if err == nil {
		return nil
	}
	me := &MountError{Source: source, Target: target, FSType: fstype, Flags: o.Flags, Data: o.DataString(), Err: err}
	var se *stepErr
	if errors.As(err, &se) {
		me.Step, me.Err = se.step, se.err
	}
	return me
}

// newFS creates a detached mount of a new filesystem instance: fsopen,
// fsconfig per option, fsmount with the per-mount attributes. The caller
// closes the returned descriptor.
func newFS(fstype, source string, o Options) (int, error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, &stepErr{"fsopen", err}
	}
	defer unix.Close(fsfd)
	if err := configure(fsfd, source, o); err != nil {
		return -1, err
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, &stepErr{"fsconfig create", withFSLog(fsfd, err)}
	}
	set, _ := o.mountAttr()
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, int(set))
	if err != nil {
		return -1, &stepErr{"fsmount", withFSLog(fsfd, err)}
	}
	return mfd, nil
}

// configure passes the source, superblock flags and data options to a
// filesystem context, one fsconfig call per option as mount(2) would split
// its data string.
func configure(fsfd int, source string, o Options) error {
	if source != "" {
		if err := unix.FsconfigSetString(fsfd, "source", source); err != nil {
			return &stepErr{"fsconfig source", withFSLog(fsfd, err)}
		}
	}
	for _, key := range append(o.sbFlags(), o.Data...) {
		var err error
		if k, v, ok := strings.Cut(key, "="); ok {
			err = unix.FsconfigSetString(fsfd, k, v)
		} else {
			err = unix.FsconfigSetFlag(fsfd, key)
		}
		if err != nil {
			return &stepErr{"fsconfig " + key, withFSLog(fsfd, err)}
		}
	}
	return nil
}

// withFSLog appends the filesystem context's messages (the kernel explains
// fsconfig failures there, e.g. "tmpfs: Bad value for 'mode'").
func withFSLog(fsfd int, err error) error {
	var msgs []string
	buf := make([]byte, 4096)
	for range 8 {
		n, rerr := unix.Read(fsfd, buf)
		if rerr != nil || n <= 0 {
			break
		}
		msgs = append(msgs, strings.TrimSpace(string(buf[:n])))
	}
	if len(msgs) == 0 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(msgs, "; "))
}

// cloneTree clones the mount at path (or at the descriptor itself when path
// is "") into a detached tree, with its submounts when recursive.
func cloneTree(dirfd int, path string, recursive bool) (int, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	if path == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	fd, err := unix.OpenTree(dirfd, path, flags)
	if err != nil {
		return -1, &stepErr{"open_tree", err}
	}
	return fd, nil
}

// attach moves the detached mount mfd onto the target descriptor. The
// target was resolved inside the rootfs; no path is walked again.
func attach(mfd int, target *os.File) error {
	err := unix.MoveMount(mfd, "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	if err != nil {
		return &stepErr{"move_mount", err}
	}
	return nil
}

// setAttr changes the mount attributes of the mount whose root fd is (with
// its submounts when recursive). Flags not named are left as they are, which
// keeps the nosuid/nodev/noexec a user namespace has locked.
func setAttr(fd int, recursive bool, set, clr uint64) error {
	if set == 0 && clr == 0 {
		return nil
	}
	return mountSetattr(fd, recursive, &unix.MountAttr{Attr_set: set, Attr_clr: clr})
}

// setPropagation applies one propagation flag (MS_SHARED, ... maybe |MS_REC).
func setPropagation(fd int, flag uintptr) error {
	p := uint64(flag &^ unix.MS_REC)
	return mountSetattr(fd, flag&unix.MS_REC != 0, &unix.MountAttr{Propagation: p})
}

func mountSetattr(fd int, recursive bool, attr *unix.MountAttr) error {
	flags := uint(unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(fd, "", flags, attr); err != nil {
		return &stepErr{"mount_setattr", err}
	}
	return nil
}

// reconfigure changes superblock options of the filesystem mounted at fd
// (a remount with data, such as a new tmpfs size).
func reconfigure(fd int, o Options) error {
	fsfd, err := unix.Fspick(fd, "", unix.FSPICK_CLOEXEC|unix.FSPICK_EMPTY_PATH)
	if err != nil {
		return &stepErr{"fspick", err}
	}
	defer unix.Close(fsfd)
	if err := configure(fsfd, "", o); err != nil {
		return err
	}
	if err := unix.FsconfigReconfigure(fsfd); err != nil {
		return &stepErr{"fsconfig reconfigure", withFSLog(fsfd, err)}
	}
	return nil
}

// mountPath is mount(2) on a trusted host path (propagation of "/", the
// MS_MOVE of the rootfs), with the error typed.
func mountPath(source, target, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return &MountError{Source: source, Target: target, FSType: fstype, Flags: flags, Data: data, Err: err}
	}
	return nil
}

// fsconfigMaxValue is the longest string value fsconfig(2) accepts (the
// kernel copies at most 256 bytes with the terminating NUL).
const fsconfigMaxValue = 255

// needsLegacyMount reports whether a data option is too long for fsconfig:
// an overlay lowerdir listing many layers, typically.
func needsLegacyMount(o Options) bool {
	for _, d := range o.Data {
		if _, v, _ := strings.Cut(d, "="); len(v) > fsconfigMaxValue {
			return true
		}
	}
	return false
}

// legacyMountAt mounts with mount(2) onto the target descriptor through
// /proc/thread-self/fd (it runs before pivot_root, while /proc is the
// host's), then applies the propagation options on the new mount.
func legacyMountAt(target *os.File, m specs.Mount, o Options) error {
	fdPath := "/proc/thread-self/fd/" + strconv.Itoa(int(target.Fd()))
	flags := o.Flags &^ (unix.MS_REMOUNT | unix.MS_BIND | unix.MS_REC)
	if err := unix.Mount(m.Source, fdPath, m.Type, flags, o.DataString()); err != nil {
		return &stepErr{"mount", err}
	}
	mnt, err := os.OpenFile(fdPath, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return &stepErr{"open mount", err}
	}
	defer mnt.Close()
	return applyPropagation(int(mnt.Fd()), o)
}
