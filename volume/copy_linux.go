package volume

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// copyTree copies src's contents into the empty directory dst. Every
// step is relative to an open directory fd with O_NOFOLLOW, so a symlink
// in the image (an absolute "/etc" link, or "../../..") is copied as a
// link and never followed, on either side.
func copyTree(src, dst string) error {
	sfd, err := openDir(unix.AT_FDCWD, src)
	if err != nil {
		return err
	}
	defer unix.Close(sfd)
	dfd, err := openDir(unix.AT_FDCWD, dst)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	c := &copier{root: os.Geteuid() == 0, dstRoot: dfd, links: map[[2]uint64]string{}}
	if err := c.dir(sfd, dfd, ""); err != nil {
		return err
	}
	// Docker gives the volume root the mount point's owner and mode.
	var st unix.Stat_t
	if err := unix.Fstat(sfd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: src, Err: err}
	}
	if err := c.attrs(sfd, dfd, &st); err != nil {
		return err
	}
	return utimes(unix.AT_FDCWD, dst, &st)
}

type copier struct {
	root    bool                 // may chown and mknod
	dstRoot int                  // for linkat of hard links
	links   map[[2]uint64]string // (dev, ino) of a multiply linked file → its copy, relative to dstRoot
}

func openDir(at int, name string) (int, error) {
	fd, err := unix.Openat(at, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return fd, nil
}

// dir copies the entries of directory sfd into dfd.
func (c *copier) dir(sfd, dfd int, rel string) error {
	names, err := readNames(sfd)
	if err != nil {
		return fmt.Errorf("reading %s: %w", "/"+rel, err)
	}
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(sfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return &os.PathError{Op: "lstat", Path: "/" + filepath.Join(rel, name), Err: err}
		}
		if err := c.entry(sfd, dfd, name, filepath.Join(rel, name), &st); err != nil {
			return fmt.Errorf("copying %s: %w", "/"+filepath.Join(rel, name), err)
		}
	}
	return nil
}

func readNames(fd int) ([]string, error) {
	dup, err := unix.Dup(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "dir")
	defer f.Close()
	return f.Readdirnames(-1)
}

func (c *copier) entry(sfd, dfd int, name, rel string, st *unix.Stat_t) error {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return c.subdir(sfd, dfd, name, rel, st)
	case unix.S_IFREG:
		return c.file(sfd, dfd, name, rel, st)
	case unix.S_IFLNK:
		return c.symlink(sfd, dfd, name, st)
	case unix.S_IFIFO:
		return c.node(dfd, name, st)
	case unix.S_IFCHR, unix.S_IFBLK:
		if !c.root {
			return nil // only root may mknod a device
		}
		return c.node(dfd, name, st)
	}
	return nil // sockets belong to a process, not to content
}

func (c *copier) subdir(sfd, dfd int, name, rel string, st *unix.Stat_t) error {
	if err := unix.Mkdirat(dfd, name, 0o700); err != nil {
		return &os.PathError{Op: "mkdir", Path: name, Err: err}
	}
	csfd, err := openDir(sfd, name)
	if err != nil {
		return err
	}
	defer unix.Close(csfd)
	cdfd, err := openDir(dfd, name)
	if err != nil {
		return err
	}
	defer unix.Close(cdfd)
	if err := c.dir(csfd, cdfd, rel); err != nil {
		return err
	}
	// Attributes last: a read-only mode would stop the children, and
	// creating them would bump the mtime.
	if err := c.attrs(csfd, cdfd, st); err != nil {
		return err
	}
	return utimes(dfd, name, st)
}

func (c *copier) file(sfd, dfd int, name, rel string, st *unix.Stat_t) error {
	key := [2]uint64{uint64(st.Dev), st.Ino}
	if st.Nlink > 1 {
		if first, ok := c.links[key]; ok {
			if err := unix.Linkat(c.dstRoot, first, dfd, name, 0); err == nil {
				return nil
			}
			// Fall back to a copy (e.g. the first copy was replaced).
		}
		c.links[key] = rel
	}
	// O_NONBLOCK: if the entry was swapped for a FIFO since the stat,
	// open must not hang; the fstat below then rejects it.
	in, err := unix.Openat(sfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: name, Err: err}
	}
	fin := os.NewFile(uintptr(in), name)
	defer fin.Close()
	var now unix.Stat_t
	if err := unix.Fstat(in, &now); err != nil || now.Mode&unix.S_IFMT != unix.S_IFREG {
		return &os.PathError{Op: "open", Path: name, Err: unix.EINVAL}
	}
	out, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "create", Path: name, Err: err}
	}
	fout := os.NewFile(uintptr(out), name)
	defer fout.Close()
	if _, err := io.Copy(fout, fin); err != nil {
		return err
	}
	if err := c.attrs(in, out, st); err != nil {
		return err
	}
	return utimes(dfd, name, st)
}

func (c *copier) symlink(sfd, dfd int, name string, st *unix.Stat_t) error {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(sfd, name, buf)
	if err != nil {
		return &os.PathError{Op: "readlink", Path: name, Err: err}
	}
	if err := unix.Symlinkat(string(buf[:n]), dfd, name); err != nil {
		return &os.PathError{Op: "symlink", Path: name, Err: err}
	}
	if err := c.chown(unix.Fchownat(dfd, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW)); err != nil {
		return &os.PathError{Op: "lchown", Path: name, Err: err}
	}
	return utimes(dfd, name, st)
}

// node makes a FIFO or device node.
func (c *copier) node(dfd int, name string, st *unix.Stat_t) error {
	if err := unix.Mknodat(dfd, name, st.Mode, int(st.Rdev)); err != nil {
		return &os.PathError{Op: "mknod", Path: name, Err: err}
	}
	if err := c.chown(unix.Fchownat(dfd, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW)); err != nil {
		return &os.PathError{Op: "lchown", Path: name, Err: err}
	}
	if err := unix.Fchmodat(dfd, name, st.Mode&0o7777, 0); err != nil {
		return &os.PathError{Op: "chmod", Path: name, Err: err}
	}
	return utimes(dfd, name, st)
}

// attrs gives the open copy dst the owner, xattrs and mode of src, in
// that order: chown clears setuid bits and security.capability.
func (c *copier) attrs(src, dst int, st *unix.Stat_t) error {
	if err := c.chown(unix.Fchown(dst, int(st.Uid), int(st.Gid))); err != nil {
		return &os.PathError{Op: "chown", Path: "", Err: err}
	}
	copyXattrs(src, dst)
	if err := unix.Fchmod(dst, st.Mode&0o7777); err != nil {
		return &os.PathError{Op: "chmod", Path: "", Err: err}
	}
	return nil
}

// chown failures are fatal for root only; an unprivileged copy keeps
// its own uid (the best it can do).
func (c *copier) chown(err error) error {
	if err != nil && !c.root && errors.Is(err, unix.EPERM) {
		return nil
	}
	return err
}

func utimes(dfd int, name string, st *unix.Stat_t) error {
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(dfd, name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimensat", Path: name, Err: err}
	}
	return nil
}

// copyXattrs copies extended attributes where the filesystems allow;
// failures (no xattr support, security.* needing privilege) are skipped,
// as "where possible" promises.
func copyXattrs(src, dst int) {
	size, err := unix.Flistxattr(src, nil)
	if err != nil || size <= 0 {
		return
	}
	buf := make([]byte, size)
	n, err := unix.Flistxattr(src, buf)
	if err != nil {
		return
	}
	for _, attr := range splitNul(buf[:n]) {
		vsize, err := unix.Fgetxattr(src, attr, nil)
		if err != nil {
			continue
		}
		val := make([]byte, vsize)
		if vsize, err = unix.Fgetxattr(src, attr, val); err == nil {
			unix.Fsetxattr(dst, attr, val[:vsize], 0)
		}
	}
}

func splitNul(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			if i > start {
				out = append(out, string(b[start:i]))
			}
			start = i + 1
		}
	}
	return out
}
