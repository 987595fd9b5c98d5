package layer

import (
	"archive/tar"
	"errors"
	"os"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

// device makes a device node or fifo. Device nodes need CAP_MKNOD; with
// NoDevices they are skipped (rootless unpacking).
func (a *applier) device(name string, hdr *tar.Header) error {
	if a.opts.NoDevices && hdr.Typeflag != tar.TypeFifo {
		return nil
	}
	pf, err := a.parent.get(a.root, path.Dir(name))
	if err != nil {
		return classify(err)
	}
	mode := uint32(hdr.Mode & 0o7777)
	switch hdr.Typeflag {
	case tar.TypeChar:
		mode |= unix.S_IFCHR
	case tar.TypeBlock:
		mode |= unix.S_IFBLK
	default:
		mode |= unix.S_IFIFO
	}
	base := path.Base(name)
	dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
	if err := unix.Mknodat(int(pf.Fd()), base, mode, int(dev)); err != nil {
		return &os.PathError{Op: "mknodat", Path: name, Err: err}
	}
	if !a.opts.NoSameOwner {
		if err := unix.Fchownat(int(pf.Fd()), base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return &os.PathError{Op: "fchownat", Path: name, Err: err}
		}
	}
	// mknod applied the umask; set the exact mode. The node was just made
	// by us in a verified parent, so fchmodat cannot be redirected.
	if err := unix.Fchmodat(int(pf.Fd()), base, uint32(hdr.Mode&0o7777), 0); err != nil {
		return &os.PathError{Op: "fchmodat", Path: name, Err: err}
	}
	return a.setTimes(name, hdr.AccessTime, hdr.ModTime)
}

// lchown sets the owner of name itself (never a symlink's target).
func (a *applier) lchown(name string, hdr *tar.Header) error {
	if a.opts.NoSameOwner {
		return nil
	}
	pf, err := a.parent.get(a.root, path.Dir(name))
	if err != nil {
		return classify(err)
	}
	if err := unix.Fchownat(int(pf.Fd()), path.Base(name), hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "fchownat", Path: name, Err: err}
	}
	return nil
}

// setTimes sets name's times without following a final symlink.
func (a *applier) setTimes(name string, atime, mtime time.Time) error {
	if mtime.IsZero() {
		return nil
	}
	if atime.IsZero() {
		atime = mtime
	}
	pf, err := a.parent.get(a.root, path.Dir(name))
	if err != nil {
		return classify(err)
	}
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	if err := unix.UtimesNanoAt(int(pf.Fd()), path.Base(name), ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimensat", Path: name, Err: err}
	}
	return nil
}

// fsetxattr sets one extended attribute. Filesystems without xattr support
// (or a security module refusing one) must not fail a whole image.
func fsetxattr(f *os.File, key, value string) error {
	err := unix.Fsetxattr(int(f.Fd()), key, []byte(value), 0)
	if err == nil || errors.Is(err, unix.ENOTSUP) {
		return nil
	}
	return &os.PathError{Op: "fsetxattr " + key, Path: f.Name(), Err: err}
}

// mkWhiteout makes overlayfs's whiteout, a 0/0 character device, in dir.
func mkWhiteout(dir *os.File, name string) error {
	if err := unix.Mknodat(int(dir.Fd()), name, unix.S_IFCHR, 0); err != nil {
		return &os.PathError{Op: "mknodat whiteout", Path: name, Err: err}
	}
	return nil
}

// setOpaque marks an overlay directory opaque.
func setOpaque(dir *os.File) error {
	if err := unix.Fsetxattr(int(dir.Fd()), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		return &os.PathError{Op: "fsetxattr trusted.overlay.opaque", Path: dir.Name(), Err: err}
	}
	return nil
}
