package engine

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/cyphar/filepath-securejoin/pathrs-lite"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"golang.org/x/sys/unix"
)

// cpPath is a container path resolved to a host directory (the rootfs or a
// mount's source) and a path inside it whose parent's symlinks are already
// resolved inside that directory; the last component is left as is, so a
// symlink is copied as a symlink (docker cp without -L).
type cpPath struct {
	root   string // host directory everything stays inside
	parent string // parent inside root, symlinks resolved, "/"-rooted
	base   string // last component ("." for the root or "dir/.")
	onRoot bool   // root is the container's rootfs (not a volume or bind)
	mount  string // container path root is mounted at ("/" for the rootfs)
}

// resolveCpPath maps container path p onto the rootfs or onto the source
// of the volume or bind mounted over it (the longest destination prefix
// wins, as mounts stack). Symlinks resolve inside that root: a link to "/"
// or "../../etc" in the container never reaches the host's.
func resolveCpPath(rootfs string, mounts []ctypes.MountPoint, p string) (cpPath, error) {
	clean := path.Clean("/" + p)
	root, rel, onRoot := rootfs, clean, true
	best := "/"
	for _, m := range mounts {
		if m.Source == "" || (m.Type != mount.TypeVolume && m.Type != mount.TypeBind) {
			continue
		}
		d := path.Clean("/" + m.Destination)
		if (clean != d && !strings.HasPrefix(clean, d+"/")) || len(d) <= len(best) {
			continue
		}
		if fi, err := os.Stat(m.Source); err == nil && !fi.IsDir() {
			// A file bind (/etc/hosts, -v /host/file:/f): its directory is
			// the root, the file the only reachable entry.
			if clean != d {
				continue
			}
			best, root, onRoot = d, filepath.Dir(m.Source), false
			rel = "/" + filepath.Base(m.Source)
			continue
		}
		best, root, onRoot = d, m.Source, false
		rel = "/" + strings.TrimPrefix(clean[len(d):], "/")
	}
	dir, base := path.Split(rel)
	if base == "" || strings.HasSuffix(p, "/.") {
		dir, base = rel, "."
	}
	host, err := securejoin.SecureJoin(root, dir)
	if err != nil {
		return cpPath{}, fmt.Errorf("resolving %s: %w", p, err)
	}
	parent := "/" + strings.TrimPrefix(strings.TrimPrefix(host, strings.TrimSuffix(root, "/")), "/")
	return cpPath{root: root, parent: parent, base: base, onRoot: onRoot, mount: best}, nil
}

// cpMounts are c's mounts as cp sees them: its volumes and binds, and
// the engine's /etc files bind-mounted over the image's, so cp reads the
// container's real /etc/hosts rather than the empty mountpoint below it.
func (e *Engine) cpMounts(c *container.Container) []ctypes.MountPoint {
	ms := append([]ctypes.MountPoint{}, c.Mounts...)
	dir := e.containers.Dir(c.ID)
	for _, f := range []string{"hostname", "hosts", "resolv.conf"} {
		src := filepath.Join(dir, f)
		if _, err := os.Stat(src); err == nil {
			ms = append(ms, ctypes.MountPoint{Type: mount.TypeBind, Source: src, Destination: "/etc/" + f})
		}
	}
	return ms
}

// openParent opens cp's parent directory for reading, inside its root.
func (cp cpPath) openParent() (*os.File, error) {
	h, err := pathrs.OpenInRoot(cp.root, cp.parent)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return pathrs.Reopen(h, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
}

// lstatAt stats name in dir without following a final symlink.
func lstatAt(dir *os.File, name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		err = &os.PathError{Op: "fstatat", Path: name, Err: err}
	}
	return st, err
}

// fileMode converts a stat mode to Go's FileMode (PathStat.Mode).
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

func notInContainer(p, ref string) error {
	return fmt.Errorf("Could not find the file %s in container %s: %w", p, ref, errdefs.ErrNotFound)
}

// statCp stats the resolved path.
func statCp(cp cpPath, p, ref string) (ctypes.PathStat, error) {
	dir, err := cp.openParent()
	if err != nil {
		return ctypes.PathStat{}, notInContainer(p, ref)
	}
	defer dir.Close()
	st, err := lstatAt(dir, cp.base)
	if err != nil {
		return ctypes.PathStat{}, notInContainer(p, ref)
	}
	ps := ctypes.PathStat{
		Name:  path.Base(path.Clean("/" + p)),
		Size:  st.Size,
		Mode:  fileMode(st.Mode),
		Mtime: time.Unix(st.Mtim.Unix()).UTC(),
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		ps.LinkTarget = cp.linkTarget()
	}
	return ps, nil
}

// linkTarget is where the symlink at cp leads, as a container path
// resolved inside its root (docker's PathStat.LinkTarget, which cp -L
// copies from).
func (cp cpPath) linkTarget() string {
	host, err := securejoin.SecureJoin(cp.root, path.Join(cp.parent, cp.base))
	if err != nil {
		return ""
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(host, strings.TrimSuffix(cp.root, "/")), "/")
	return path.Join(cp.mount, rel)
}

func readlinkAt(dir *os.File, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(int(dir.Fd()), name, buf)
	if err != nil {
		return "", &os.PathError{Op: "readlinkat", Path: name, Err: err}
	}
	return string(buf[:n]), nil
}

func (e *Engine) statContainerPath(ctx context.Context, ref, p string) (ctypes.PathStat, error) {
	var ps ctypes.PathStat
	err := e.withContainerRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		cp, err := resolveCpPath(rootfs, e.cpMounts(c), p)
		if err != nil {
			return err
		}
		ps, err = statCp(cp, p, ref)
		return err
	})
	return ps, err
}

// copyFromContainer tars srcPath: "dir" gives entries under "dir/", "dir/."
// the directory's content at the top, a file one entry named after it.
func (e *Engine) copyFromContainer(ctx context.Context, ref, srcPath string, w io.Writer) (ctypes.PathStat, error) {
	var ps ctypes.PathStat
	err := e.withContainerRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		cp, err := resolveCpPath(rootfs, e.cpMounts(c), srcPath)
		if err != nil {
			return err
		}
		if ps, err = statCp(cp, srcPath, ref); err != nil {
			return err
		}
		return writeCpTar(ctx, cp, ps.Name, w)
	})
	return ps, err
}

// writeCpTar writes the tree at cp to w, reading every entry relative to
// an open directory fd with O_NOFOLLOW, so nothing a running container
// swaps in meanwhile can redirect the read outside its root.
func writeCpTar(ctx context.Context, cp cpPath, name string, w io.Writer) error {
	dir, err := cp.openParent()
	if err != nil {
		return err
	}
	defer dir.Close()
	tw := &treeTar{ctx: ctx, tw: tar.NewWriter(w), links: map[[2]uint64]string{}}
	if cp.base == "." { // "dir/." or "/": the content, without the directory
		err = tw.addChildren(dir, "")
	} else {
		err = tw.add(dir, cp.base, name)
	}
	if err != nil {
		return err
	}
	return tw.tw.Close()
}

// treeTar writes a tree through directory fds.
type treeTar struct {
	ctx   context.Context
	tw    *tar.Writer
	links map[[2]uint64]string // (dev, ino) of multiply linked files → first name
}

func (t *treeTar) add(dir *os.File, name, tarName string) error {
	if err := t.ctx.Err(); err != nil {
		return err
	}
	st, err := lstatAt(dir, name)
	if err != nil {
		return err
	}
	hdr := &tar.Header{
		Name: tarName, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()), Format: tar.FormatPAX,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		hdr.Typeflag, hdr.Name = tar.TypeDir, strings.TrimSuffix(tarName, "/")+"/"
		if err := t.tw.WriteHeader(hdr); err != nil {
			return err
		}
		sub, err := openAt(dir, name, unix.O_RDONLY|unix.O_DIRECTORY)
		if err != nil {
			return err
		}
		defer sub.Close()
		return t.addChildren(sub, hdr.Name)
	case unix.S_IFREG:
		key := [2]uint64{uint64(st.Dev), st.Ino}
		if first, ok := t.links[key]; ok && st.Nlink > 1 {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return t.tw.WriteHeader(hdr)
		}
		if st.Nlink > 1 {
			t.links[key] = tarName
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
		return t.addFile(dir, name, hdr)
	case unix.S_IFLNK:
		hdr.Typeflag = tar.TypeSymlink
		if hdr.Linkname, err = readlinkAt(dir, name); err != nil {
			return err
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return nil // sockets are not archived (docker skips them too)
	}
	return t.tw.WriteHeader(hdr)
}

func (t *treeTar) addChildren(dir *os.File, prefix string) error {
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		if err := t.add(dir, n, prefix+n); err != nil {
			return err
		}
	}
	return nil
}

// addFile copies exactly hdr.Size bytes: a file that shrank meanwhile is
// padded with zeros so the archive stays well-formed.
func (t *treeTar) addFile(dir *os.File, name string, hdr *tar.Header) error {
	f, err := openAt(dir, name, unix.O_RDONLY)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := t.tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(t.tw, io.LimitReader(f, hdr.Size))
	if err != nil {
		return fmt.Errorf("reading %s: %w", hdr.Name, err)
	}
	if n < hdr.Size {
		_, err = io.CopyN(t.tw, zeroReader{}, hdr.Size-n)
	}
	return err
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// openAt opens name in dir without following symlinks in it.
func openAt(dir *os.File, name string, flags int) (*os.File, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "openat", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// withContainerRootfs runs fn with the container's rootfs mounted: the
// live mount of a running container, else a temporary mount of its
// snapshot taken under the container's lock (so a start cannot mount the
// same overlay upper dir twice meanwhile) and undone afterwards.
func (e *Engine) withContainerRootfs(ctx context.Context, ref string, fn func(*container.Container, string) error) error {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return err
	}
	if live := e.dataRootfs(c.ID); isMounted(live) {
		return fn(c, live)
	}
	unlock, err := e.containers.Lock(c.ID)
	if err != nil {
		return err
	}
	defer unlock()
	if live := e.dataRootfs(c.ID); isMounted(live) { // started meanwhile
		return fn(c, live)
	}
	tmp, undo, err := e.mountSnapshot(ctx, c)
	if err != nil {
		return err
	}
	defer undo()
	return fn(c, tmp)
}
