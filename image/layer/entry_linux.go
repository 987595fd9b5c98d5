package layer

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// clear removes whatever an earlier entry (or layer, when merging) left at
// name, except a directory that a directory entry keeps (tars list a dir
// again to set its metadata).
func (a *applier) clear(name string, keepDir bool) error {
	if name == "." {
		return nil
	}
	pf, err := a.parent.get(a.root, path.Dir(name))
	if err != nil {
		return classify(err)
	}
	base := path.Base(name)
	var st unix.Stat_t
	err = unix.Fstatat(int(pf.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "fstatat", Path: name, Err: err}
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	if isDir && keepDir {
		return nil
	}
	if isDir {
		a.parent.close() // the cached dir may be inside the removed tree
		return classify(a.root.RemoveAll(name))
	}
	if err := unix.Unlinkat(int(pf.Fd()), base, 0); err != nil {
		return &os.PathError{Op: "unlinkat", Path: name, Err: err}
	}
	return nil
}

func (a *applier) mkdir(name string, hdr *tar.Header) error {
	var f *os.File
	if name == "." {
		var err error
		if f, err = a.root.Open("."); err != nil {
			return err
		}
	} else {
		pf, err := a.parent.get(a.root, path.Dir(name))
		if err != nil {
			return classify(err)
		}
		base := path.Base(name)
		if err := unix.Mkdirat(int(pf.Fd()), base, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return &os.PathError{Op: "mkdirat", Path: name, Err: err}
		}
		// O_NOFOLLOW: an existing symlink at name is refused, not followed.
		fd, err := unix.Openat(int(pf.Fd()), base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return &os.PathError{Op: "openat", Path: name, Err: err}
		}
		f = os.NewFile(uintptr(fd), name)
	}
	defer f.Close()
	if err := a.attrs(f, hdr); err != nil {
		return err
	}
	a.dirTime = append(a.dirTime, dirTime{name, hdr.AccessTime, hdr.ModTime})
	return nil
}

func (a *applier) file(name string, hdr *tar.Header, r io.Reader) (retErr error) {
	pf, err := a.parent.get(a.root, path.Dir(name))
	if err != nil {
		return classify(err)
	}
	fd, err := unix.Openat(int(pf.Fd()), path.Base(name), unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "openat", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(fd), name)
	defer func() {
		if err := f.Close(); retErr == nil && err != nil {
			retErr = err
		}
	}()
	if _, err := io.CopyBuffer(f, r, a.buf); err != nil {
		return err
	}
	if err := a.attrs(f, hdr); err != nil {
		return err
	}
	return a.setTimes(name, hdr.AccessTime, hdr.ModTime)
}

func (a *applier) symlink(name string, hdr *tar.Header) error {
	pf, err := a.parent.get(a.root, path.Dir(name))
	if err != nil {
		return classify(err)
	}
	// The target is only text: it is never followed while applying (every
	// later lookup goes through os.Root, which refuses escapes, or is a
	// no-follow *at call).
	if err := unix.Symlinkat(hdr.Linkname, int(pf.Fd()), path.Base(name)); err != nil {
		return &os.PathError{Op: "symlinkat", Path: name, Err: err}
	}
	if err := a.lchown(name, hdr); err != nil {
		return err
	}
	return a.setTimes(name, hdr.AccessTime, hdr.ModTime)
}
