package layer

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// fstat is the part of stat(2) tar headers and diffs need.
type fstat struct {
	uid, gid, nlink uint32
	dev, ino, rdev  uint64
}

func statOf(fi fs.FileInfo) fstat {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fstat{}
	}
	return fstat{uid: st.Uid, gid: st.Gid, nlink: uint32(st.Nlink), dev: st.Dev, ino: st.Ino, rdev: st.Rdev}
}

// isOverlayWhiteout: overlayfs records a deletion as a 0/0 char device.
func isOverlayWhiteout(fi fs.FileInfo) bool {
	return fi.Mode()&fs.ModeCharDevice != 0 && fi.Mode()&fs.ModeDevice != 0 && statOf(fi).rdev == 0
}

// isOpaqueDir: overlayfs marks a directory replacing a lower one opaque.
func isOpaqueDir(path string) bool {
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(path, "trusted.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// listXattrs reads path's extended attributes, except overlayfs's own
// (trusted.overlay.*), which describe the snapshot, not the image.
func listXattrs(path string) (map[string]string, error) {
	size, err := unix.Llistxattr(path, nil)
	if err != nil {
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		return nil, err
	}
	if size == 0 {
		return nil, nil
	}
	buf := make([]byte, size)
	size, err = unix.Llistxattr(path, buf)
	if err != nil {
		return nil, err
	}
	var out map[string]string
	for _, k := range bytes.Split(buf[:size], []byte{0}) {
		key := string(k)
		if key == "" || strings.HasPrefix(key, "trusted.overlay.") {
			continue
		}
		v, err := lgetxattr(path, key)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]string{}
		}
		out[key] = v
	}
	return out, nil
}

func lgetxattr(path, key string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Lgetxattr(path, key, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if errors.Is(err, unix.ENODATA) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
}
