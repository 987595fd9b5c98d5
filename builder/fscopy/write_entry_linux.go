//go:build linux

package fscopy

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/onggi/onggi/errdefs"
)

// ids returns the owner an entry is written with: --chown, else 0:0 for
// context files, else the source's own.
func (w *writer) ids(fi fs.FileInfo) (int, int) {
	if w.own != nil {
		return w.own.uid, w.own.gid
	}
	if w.context {
		return 0, 0
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return 0, 0
}

// perm returns the unix permission bits an entry is written with.
func (w *writer) perm(fi fs.FileInfo) uint32 {
	if w.chmod != nil {
		return w.chmod.apply(permBits(fi.Mode()), fi.IsDir())
	}
	return permBits(fi.Mode())
}

// lchown sets an owner; unprivileged runs (unit tests) cannot chown and
// keep their own ids.
func (w *writer) lchown(parent *os.File, base, rel string, uid, gid int) error {
	err := unix.Fchownat(int(parent.Fd()), base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil && !(errors.Is(err, unix.EPERM) && os.Geteuid() != 0) {
		return &os.PathError{Op: "fchownat", Path: "/" + rel, Err: err}
	}
	return nil
}

// meta applies a copied directory's owner and mode, and records its times
// for the end (writing children changes them).
func (w *writer) meta(rel string, e entry) error {
	rel = clean(rel)
	parent, base := w.root, "."
	if rel != "" {
		var err error
		if parent, err = w.dir(path.Dir(rel)); err != nil {
			return err
		}
		base = path.Base(rel)
		var st unix.Stat_t
		if err := unix.Fstatat(int(parent.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return nil // a symlink to a directory: its target keeps its own metadata
		}
	} else {
		return nil // never re-own or re-mode the root filesystem itself
	}
	uid, gid := w.ids(e.fi)
	if err := w.lchown(parent, base, rel, uid, gid); err != nil {
		return err
	}
	if err := unix.Fchmodat(int(parent.Fd()), base, w.perm(e.fi), 0); err != nil {
		return &os.PathError{Op: "fchmodat", Path: "/" + rel, Err: err}
	}
	if err := copyXattrs(e.abs, parent, base); err != nil {
		return err
	}
	w.times = append(w.times, dirTime{rel: rel, atime: atime(e.fi), mtime: e.fi.ModTime()})
	return nil
}

// finish sets the directories' times, deepest (last written) first.
func (w *writer) finish() error {
	for i := len(w.times) - 1; i >= 0; i-- {
		t := w.times[i]
		parent, err := w.dir(path.Dir(t.rel))
		if err != nil {
			return err
		}
		if err := setTimes(parent, path.Base(t.rel), t.atime, t.mtime); err != nil {
			return fmt.Errorf("setting times of /%s: %w", t.rel, err)
		}
	}
	return nil
}

func setTimes(parent *os.File, base string, at, mt time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(at.UnixNano()), unix.NsecToTimespec(mt.UnixNano())}
	return unix.UtimesNanoAt(int(parent.Fd()), base, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func atime(fi fs.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Atim.Unix())
	}
	return fi.ModTime()
}

// replace removes what is at name so a non-directory can be written
// there; a directory is a conflict, as in docker.
func replace(parent *os.File, name, rel string) error {
	var st unix.Stat_t
	err := unix.Fstatat(int(parent.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "fstatat", Path: "/" + rel, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return errdefs.Errorf(errdefs.ErrConflict, "cannot replace directory /%s with a non-directory", rel)
	}
	if err := unix.Unlinkat(int(parent.Fd()), name, 0); err != nil {
		return &os.PathError{Op: "unlinkat", Path: "/" + rel, Err: err}
	}
	return nil
}

// file copies a regular file (or hard-links it to an earlier copy of the
// same source inode).
func (w *writer) file(parent *os.File, rel, name string, e entry) error {
	if err := replace(parent, name, rel); err != nil {
		return err
	}
	if ino, nlink, ok := inodeOf(e.fi); ok && nlink > 1 {
		if first, seen := w.links[ino]; seen {
			fp, err := w.dir(path.Dir(first))
			if err != nil {
				return err
			}
			if err := unix.Linkat(int(fp.Fd()), path.Base(first), int(parent.Fd()), name, 0); err != nil {
				return &os.PathError{Op: "linkat", Path: "/" + rel, Err: err}
			}
			return nil
		}
		w.links[ino] = clean(rel)
	}
	in, err := os.OpenFile(e.abs, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("copying %s: %w", e.abs, err)
	}
	defer in.Close()
	uid, gid := w.ids(e.fi)
	if err := w.writeFrom(parent, rel, name, in, uid, gid, w.perm(e.fi), atime(e.fi), e.fi.ModTime()); err != nil {
		return err
	}
	return copyXattrs(e.abs, parent, name)
}

// writeFrom creates name in parent (never through a symlink) from r.
func (w *writer) writeFrom(parent *os.File, rel, name string, r io.Reader, uid, gid int, perm uint32, at, mt time.Time) error {
	fd, err := unix.Openat(int(parent.Fd()), name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "openat", Path: "/" + rel, Err: err}
	}
	out := os.NewFile(uintptr(fd), "/"+rel)
	defer out.Close()
	if _, err := io.Copy(out, r); err != nil {
		return fmt.Errorf("writing /%s: %w", rel, err)
	}
	if err := out.Chown(uid, gid); err != nil && !(errors.Is(err, unix.EPERM) && os.Geteuid() != 0) {
		return fmt.Errorf("chown /%s: %w", rel, err)
	}
	// After chown: chown clears setuid/setgid bits.
	if err := unix.Fchmod(fd, perm); err != nil {
		return &os.PathError{Op: "fchmod", Path: "/" + rel, Err: err}
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("writing /%s: %w", rel, err)
	}
	return setTimes(parent, name, at, mt)
}

func (w *writer) symlink(parent *os.File, rel, name string, e entry) error {
	if err := replace(parent, name, rel); err != nil {
		return err
	}
	if err := unix.Symlinkat(e.link, int(parent.Fd()), name); err != nil {
		return &os.PathError{Op: "symlinkat", Path: "/" + rel, Err: err}
	}
	uid, gid := w.ids(e.fi)
	if err := w.lchown(parent, name, rel, uid, gid); err != nil {
		return err
	}
	return setTimes(parent, name, atime(e.fi), e.fi.ModTime())
}

// device recreates a device node or fifo (stage sources only; needs root).
func (w *writer) device(parent *os.File, rel, name string, e entry) error {
	st, ok := e.fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if err := replace(parent, name, rel); err != nil {
		return err
	}
	if err := unix.Mknodat(int(parent.Fd()), name, st.Mode, int(st.Rdev)); err != nil {
		return &os.PathError{Op: "mknodat", Path: "/" + rel, Err: err}
	}
	uid, gid := w.ids(e.fi)
	if err := w.lchown(parent, name, rel, uid, gid); err != nil {
		return err
	}
	if err := unix.Fchmodat(int(parent.Fd()), name, w.perm(e.fi), 0); err != nil {
		return &os.PathError{Op: "fchmodat", Path: "/" + rel, Err: err}
	}
	return setTimes(parent, name, atime(e.fi), e.fi.ModTime())
}
