//go:build linux

package fscopy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/onggi/onggi/errdefs"
)

// writer creates entries inside destRoot through O_PATH directory
// handles, so no path is ever resolved outside it.
type writer struct {
	root    *os.File
	own     *owner
	chmod   *chmodSpec
	context bool
	dirs    map[string]*os.File // dest-relative dir → O_PATH handle
	links   map[inode]string    // source inode → dest path of its first copy
	times   []dirTime
}

type dirTime struct {
	rel          string
	atime, mtime time.Time
}

func copyAll(destRoot string, src Source, o Options) error {
	chmod, err := parseChmod(o.Chmod)
	if err != nil {
		return err
	}
	own, err := parseChown(destRoot, o.Chown)
	if err != nil {
		return err
	}
	items, err := plan(src, o)
	if err != nil {
		return err
	}
	root, err := os.OpenFile(destRoot, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening destination root: %w", err)
	}
	w := &writer{root: root, own: own, chmod: chmod, context: src.Context,
		dirs: map[string]*os.File{}, links: map[inode]string{}}
	defer w.close()
	dest := strings.TrimPrefix(path.Clean("/"+o.Dest), "/")
	destDir := o.destIsDir() || w.isDir(dest)
	for _, it := range items {
		if err := w.item(it, dest, destDir, o); err != nil {
			return err
		}
	}
	return w.finish()
}

func (w *writer) close() {
	for _, h := range w.dirs {
		h.Close()
	}
	w.root.Close()
}

// isDir reports whether rel exists in destRoot as a directory (symlinks
// followed inside destRoot).
func (w *writer) isDir(rel string) bool {
	if rel == "" {
		return true
	}
	h, err := pathrs.OpenatInRoot(w.root, rel)
	if err != nil {
		return false
	}
	defer h.Close()
	fi, err := h.Stat()
	return err == nil && fi.IsDir()
}

// item writes one matched source.
func (w *writer) item(it item, dest string, destDir bool, o Options) error {
	switch {
	case it.url != "":
		return w.url(it.url, dest, destDir)
	case it.dir:
		base := dest
		if o.Parents && it.keep != "" {
			base = path.Join(dest, it.keep)
			if err := w.entry(base, it.entries[0]); err != nil {
				return err
			}
		} else if err := w.destDir(base, it.entries[0]); err != nil {
			return err
		}
		for _, e := range it.entries[1:] {
			if err := w.entry(path.Join(base, e.rel), e); err != nil {
				return err
			}
		}
		return nil
	}
	e := it.entries[0]
	if o.ExtractTar && isArchive(e.abs) {
		return w.extract(e.abs, dest)
	}
	target := dest
	switch {
	case o.Parents && it.keep != "":
		target = path.Join(dest, it.keep)
	case destDir:
		target = path.Join(dest, path.Base(it.src))
	}
	return w.entry(target, e)
}

// entry copies one source entry to the dest-relative path target.
func (w *writer) entry(target string, e entry) error {
	if target == "" {
		return w.meta("", e) // a directory copied onto the root
	}
	parent, err := w.dir(path.Dir(clean(target)))
	if err != nil {
		return err
	}
	name := path.Base(target)
	mode := e.fi.Mode()
	switch {
	case mode.IsDir():
		if _, err := w.dir(target); err != nil {
			return err
		}
		return w.meta(target, e)
	case mode.IsRegular():
		return w.file(parent, target, name, e)
	case mode&fs.ModeSymlink != 0:
		return w.symlink(parent, target, name, e)
	case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe) != 0:
		return w.device(parent, target, name, e)
	}
	return nil
}

func clean(rel string) string {
	d := path.Clean(rel)
	if d == "." || d == "/" {
		return ""
	}
	return strings.TrimPrefix(d, "/")
}

// dir returns a handle on the directory rel, creating it and missing
// parents (mode 0755, owned by --chown or root) as BuildKit does. An
// existing symlink is followed inside destRoot.
func (w *writer) dir(rel string) (*os.File, error) {
	rel = clean(rel)
	if rel == "" {
		return w.root, nil
	}
	if h, ok := w.dirs[rel]; ok {
		return h, nil
	}
	parent, err := w.dir(path.Dir(rel))
	if err != nil {
		return nil, err
	}
	base := path.Base(rel)
	var st unix.Stat_t
	err = unix.Fstatat(int(parent.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case errors.Is(err, unix.ENOENT):
		if err := unix.Mkdirat(int(parent.Fd()), base, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, &os.PathError{Op: "mkdirat", Path: "/" + rel, Err: err}
		}
		unix.Fchmodat(int(parent.Fd()), base, 0o755, 0)
		uid, gid := 0, 0
		if w.own != nil {
			uid, gid = w.own.uid, w.own.gid
		}
		if err := w.lchown(parent, base, rel, uid, gid); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, &os.PathError{Op: "fstatat", Path: "/" + rel, Err: err}
	case st.Mode&unix.S_IFMT == unix.S_IFLNK:
		return w.followDir(rel)
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return nil, errdefs.Errorf(errdefs.ErrConflict, "cannot copy to /%s: not a directory", rel)
	}
	fd, err := unix.Openat(int(parent.Fd()), base, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "openat", Path: "/" + rel, Err: err}
	}
	h := os.NewFile(uintptr(fd), "/"+rel)
	w.dirs[rel] = h
	return h, nil
}

// destDir makes the directory a source directory's contents go to. Made
// here, it takes the source directory's owner and mode (BuildKit's rule);
// an existing one keeps its own.
func (w *writer) destDir(base string, e entry) error {
	base = clean(base)
	existed := base == "" || w.exists(base)
	if _, err := w.dir(base); err != nil {
		return err
	}
	if existed {
		return nil
	}
	return w.meta(base, e)
}

// exists reports whether rel is present (not following a final symlink).
func (w *writer) exists(rel string) bool {
	parent, err := w.dir(path.Dir(rel))
	if err != nil {
		return false
	}
	var st unix.Stat_t
	return unix.Fstatat(int(parent.Fd()), path.Base(rel), &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}

// followDir resolves a symlinked directory inside destRoot (an absolute
// link is taken relative to destRoot, as inside the container).
func (w *writer) followDir(rel string) (*os.File, error) {
	h, err := pathrs.OpenatInRoot(w.root, rel)
	if err != nil {
		return nil, fmt.Errorf("resolving /%s: %w", rel, err)
	}
	if fi, err := h.Stat(); err != nil || !fi.IsDir() {
		h.Close()
		return nil, errdefs.Errorf(errdefs.ErrConflict, "cannot copy to /%s: not a directory", rel)
	}
	w.dirs[rel] = h
	return h, nil
}
