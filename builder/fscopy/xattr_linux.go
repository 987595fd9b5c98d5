//go:build linux

package fscopy

import (
	"errors"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// skipXattr names attributes a copy must not carry: overlayfs's own
// (they would turn files into whiteouts or opaque dirs) and SELinux
// labels (the destination's policy decides them).
func skipXattr(name string) bool {
	return strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.") ||
		name == "security.selinux"
}

// readXattrs returns a path's extended attributes (not following a final
// symlink), sorted by name; filesystems without them have none.
func readXattrs(path string) [][2]string {
	size, err := unix.Llistxattr(path, nil)
	if err != nil || size <= 0 {
		return nil
	}
	buf := make([]byte, size)
	if size, err = unix.Llistxattr(path, buf); err != nil {
		return nil
	}
	var out [][2]string
	for _, name := range strings.Split(strings.TrimRight(string(buf[:size]), "\x00"), "\x00") {
		if name == "" || skipXattr(name) {
			continue
		}
		n, err := unix.Lgetxattr(path, name, nil)
		if err != nil {
			continue
		}
		val := make([]byte, n)
		if n, err = unix.Lgetxattr(path, name, val); err != nil {
			continue
		}
		out = append(out, [2]string{name, string(val[:n])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// copyXattrs copies src's attributes to name in parent (reached through
// the parent handle's /proc/self/fd link, so no path is resolved outside
// destRoot). security.capability is set last: writing it must follow the
// final chown, which clears it. Unsupported attributes are skipped, as
// BuildKit does.
func copyXattrs(src string, parent *os.File, name string) error {
	attrs := readXattrs(src)
	if len(attrs) == 0 {
		return nil
	}
	target := "/proc/self/fd/" + strconv.Itoa(int(parent.Fd())) + "/" + name
	for _, a := range attrs {
		err := unix.Lsetxattr(target, a[0], []byte(a[1]), 0)
		if err != nil && !errors.Is(err, unix.ENOTSUP) && !errors.Is(err, unix.EPERM) {
			return &os.PathError{Op: "lsetxattr " + a[0], Path: name, Err: err}
		}
	}
	return nil
}
