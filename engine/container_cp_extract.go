package engine

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"golang.org/x/sys/unix"
)

// copyToContainer extracts the tar r into the directory dstPath (docker's
// PUT /containers/{id}/archive: the CLI names the entries for the
// destination). Every entry is created relative to directory fds with
// O_NOFOLLOW, parents through pathrs' in-root resolution, so neither a
// hostile tar ("../x", a symlink then a file through it) nor a symlink in
// the container can place a file outside it.
func (e *Engine) copyToContainer(ctx context.Context, ref, dstPath string, r io.Reader) error {
	return e.withContainerRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		cp, err := resolveCpPath(rootfs, c.Mounts, dstPath)
		if err != nil {
			return err
		}
		if cp.onRoot && c.HostConfig != nil && c.HostConfig.ReadonlyRootfs {
			return fmt.Errorf("container rootfs is marked read-only: %w", errdefs.ErrInvalid)
		}
		dst, err := openCpDir(cp, dstPath, ref)
		if err != nil {
			return err
		}
		defer dst.Close()
		return extractTar(ctx, dst, r)
	})
}

// openCpDir opens the destination directory as an O_PATH handle; a final
// symlink is followed, inside the root, as docker does for the target.
func openCpDir(cp cpPath, p, ref string) (*os.File, error) {
	h, err := pathrs.OpenInRoot(cp.root, path.Join(cp.parent, cp.base))
	if err != nil {
		return nil, notInContainer(p, ref)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		h.Close()
		return nil, fmt.Errorf("extraction point is not a directory: %w", errdefs.ErrInvalid)
	}
	return h, nil
}

// extractTar writes the entries of r under the directory handle dst.
func extractTar(ctx context.Context, dst *os.File, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading archive: %w: %w", err, errdefs.ErrInvalid)
		}
		name, ok := entryName(hdr.Name)
		if !ok {
			return fmt.Errorf("archive entry %q escapes the destination: %w", hdr.Name, errdefs.ErrInvalid)
		}
		if name == "." {
			continue
		}
		if err := extractEntry(dst, name, hdr, tr); err != nil {
			return fmt.Errorf("extracting %s: %w", hdr.Name, err)
		}
	}
}

// entryName cleans a tar name to a local relative path; ok is false for
// names that leave the destination ("../x", "a/../../x").
func entryName(n string) (string, bool) {
	n = strings.TrimLeft(n, "/")
	if n == "" {
		return ".", true
	}
	if !filepath.IsLocal(n) {
		return "", false
	}
	return path.Clean(n), true
}

func extractEntry(dst *os.File, name string, hdr *tar.Header, r io.Reader) error {
	parent, base := path.Split(name)
	dir, err := pathrs.MkdirAllHandle(dst, "/"+parent, 0o755)
	if err != nil {
		return err
	}
	defer dir.Close()
	dfd := int(dir.Fd())
	if err := makeRoom(dfd, base, hdr.Typeflag == tar.TypeDir); err != nil {
		return err
	}
	mode := uint32(hdr.Mode & 0o7777)
	switch hdr.Typeflag {
	case tar.TypeDir:
		err = unix.Mkdirat(dfd, base, 0o700)
		if errors.Is(err, unix.EEXIST) {
			err = nil
		}
	case tar.TypeReg, tar.TypeRegA:
		err = writeFileAt(dfd, base, r)
	case tar.TypeSymlink:
		err = unix.Symlinkat(hdr.Linkname, dfd, base)
	case tar.TypeLink:
		err = linkInRoot(dst, hdr.Linkname, dfd, base)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		err = unix.Mknodat(dfd, base, kind|0o600, int(dev))
	default:
		return nil // pax globals, unknown types: nothing to create
	}
	if err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeLink {
		return nil // shares the target's inode and attributes
	}
	return setAttrs(dfd, base, hdr, mode)
}

// makeRoom removes what is at base unless a directory replaces a
// directory (merged, as docker does).
func makeRoom(dfd int, base string, isDir bool) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil // nothing there
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if isDir {
			return nil
		}
		return unix.Unlinkat(dfd, base, unix.AT_REMOVEDIR)
	}
	return unix.Unlinkat(dfd, base, 0)
}

func writeFileAt(dfd int, base string, r io.Reader) error {
	fd, err := unix.Openat(dfd, base, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), base)
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// linkInRoot hard-links the entry named target (relative to the
// destination, resolved inside it) at base.
func linkInRoot(dst *os.File, target string, dfd int, base string) error {
	t, ok := entryName(target)
	if !ok || t == "." {
		return fmt.Errorf("hard link to %q escapes the destination: %w", target, errdefs.ErrInvalid)
	}
	tdir, tbase := path.Split(t)
	h, err := pathrs.OpenatInRoot(dst, "/"+tdir)
	if err != nil {
		return err
	}
	defer h.Close()
	return unix.Linkat(int(h.Fd()), tbase, dfd, base, 0)
}

// setAttrs applies ownership, mode and times through an O_PATH fd of the
// entry itself, so a swap of base for a symlink between create and chmod
// cannot redirect them (chmod/utimes go through /proc/self/fd, which
// names the inode, not a path).
func setAttrs(dfd int, base string, hdr *tar.Header, mode uint32) error {
	fd, err := unix.Openat(dfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fchownat(fd, "", hdr.Uid, hdr.Gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "fchownat", Path: hdr.Name, Err: err}
	}
	if hdr.Typeflag == tar.TypeSymlink {
		return nil // link modes are meaningless; times of links are not kept
	}
	proc := "/proc/self/fd/" + strconv.Itoa(fd)
	if err := unix.Fchmodat(unix.AT_FDCWD, proc, mode, 0); err != nil {
		return &os.PathError{Op: "chmod", Path: hdr.Name, Err: err}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(hdr.AccessTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
	if hdr.AccessTime.IsZero() {
		ts[0] = ts[1]
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, proc, ts, 0)
}
