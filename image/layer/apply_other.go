//go:build !linux

package layer

import (
	"archive/tar"
	"errors"
	"os"
	"time"
)

var errUnsupported = errors.New("not supported on this platform")

func (a *applier) device(name string, hdr *tar.Header) error {
	if a.opts.NoDevices {
		return nil
	}
	return &os.PathError{Op: "mknod", Path: name, Err: errUnsupported}
}

func (a *applier) lchown(name string, hdr *tar.Header) error {
	if a.opts.NoSameOwner {
		return nil
	}
	return a.root.Lchown(name, hdr.Uid, hdr.Gid)
}

func (a *applier) setTimes(name string, atime, mtime time.Time) error { return nil }

func fsetxattr(f *os.File, key, value string) error {
	return &os.PathError{Op: "setxattr " + key, Path: f.Name(), Err: errUnsupported}
}

func mkWhiteout(dir *os.File, name string) error {
	return &os.PathError{Op: "mknod whiteout", Path: name, Err: errUnsupported}
}

func setOpaque(dir *os.File) error {
	return &os.PathError{Op: "setxattr opaque", Path: dir.Name(), Err: errUnsupported}
}
