package cli

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/onggi/onggi/errdefs"
	"golang.org/x/sys/unix"
)

// tarExtractor unpacks a container's archive onto the host. Every write
// goes through an os.Root at the target's parent, so a crafted entry
// ("../x", an absolute name, a path through a symlink it created earlier)
// cannot reach outside the destination (CVE-2019-14271-style attacks on
// docker cp came from exactly such entries).
type tarExtractor struct {
	target    string // host path the archive's top entry becomes
	srcIsDir  bool
	srcBase   string // the source's name in the container
	keepOwner bool   // -a: apply the entries' uid/gid

	root   *os.Root
	name   string // target's name inside root
	prefix string // the archive's top entry, rebased onto name
	seen   bool
	dirs   []*tar.Header // applied last: modes may remove write access
}

// extract unpacks r and returns the bytes of file content written.
func (x *tarExtractor) extract(r io.Reader) (int64, error) {
	dir, name := filepath.Dir(x.target), filepath.Base(x.target)
	if x.target == string(filepath.Separator) {
		dir, name = x.target, "."
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, err
	}
	defer root.Close()
	x.root, x.name = root, name
	var total int64
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return total, fmt.Errorf("reading archive: %w", err)
		}
		dest, err := x.rebase(hdr.Name)
		if err != nil {
			return total, err
		}
		n, err := x.entry(dest, hdr, tr)
		total += n
		if err != nil {
			return total, fmt.Errorf("extracting %s: %w", hdr.Name, err)
		}
	}
	return total, x.finishDirs()
}

// rebase maps an entry name onto the target: the archive's top entry (the
// source itself, named after it or ".") becomes the target. A directory
// archive without a top entry has its entries placed inside the target.
func (x *tarExtractor) rebase(name string) (string, error) {
	clean := path.Clean("/" + name)[1:]
	if clean == "" {
		clean = "."
	}
	if !x.seen {
		x.seen = true
		switch {
		case !x.srcIsDir, clean == ".", clean == x.srcBase:
			x.prefix = clean
			return x.name, nil
		case x.srcBase != "." && strings.HasPrefix(clean, x.srcBase+"/"):
			x.prefix = x.srcBase // named entries without a top entry
		default:
			x.prefix = "."
		}
	}
	rel := clean
	if x.prefix != "." {
		if clean == x.prefix {
			return x.name, nil
		}
		var ok bool
		if rel, ok = strings.CutPrefix(clean, x.prefix+"/"); !ok {
			return "", classedErrorf(errdefs.ErrInvalid, "archive entry %q is outside %q", name, x.prefix)
		}
	}
	if rel == "." {
		return x.name, nil
	}
	return filepath.Join(x.name, filepath.FromSlash(rel)), nil
}

// entry writes one archive entry at dest (a path inside x.root).
func (x *tarExtractor) entry(dest string, hdr *tar.Header, r io.Reader) (int64, error) {
	if parent := filepath.Dir(dest); parent != "." {
		if err := x.root.MkdirAll(parent, 0o755); err != nil {
			return 0, err
		}
	}
	var n int64
	var err error
	switch hdr.Typeflag {
	case tar.TypeDir:
		if fi, lerr := x.root.Lstat(dest); lerr == nil && !fi.IsDir() {
			if err := x.root.Remove(dest); err != nil {
				return 0, err
			}
		}
		if err := x.root.MkdirAll(dest, 0o700); err != nil {
			return 0, err
		}
		h := *hdr
		h.Name = dest
		x.dirs = append(x.dirs, &h)
		return 0, x.chown(dest, hdr)
	case tar.TypeReg:
		n, err = x.file(dest, r)
	case tar.TypeSymlink:
		if err = x.replace(dest); err == nil {
			err = x.root.Symlink(hdr.Linkname, dest)
		}
		if err == nil {
			err = x.chown(dest, hdr)
		}
		return 0, err
	case tar.TypeLink:
		err = x.link(dest, hdr.Linkname)
		return 0, err
	case tar.TypeFifo, tar.TypeChar, tar.TypeBlock:
		err = x.node(dest, hdr)
	default:
		// pax/GNU metadata and unknown kinds carry nothing to create.
		return 0, nil
	}
	if err != nil {
		return n, err
	}
	if err := x.chown(dest, hdr); err != nil {
		return n, err
	}
	return n, x.modeAndTimes(dest, hdr)
}

// replace removes a non-directory in the way of a new entry.
func (x *tarExtractor) replace(dest string) error {
	fi, err := x.root.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return x.root.RemoveAll(dest)
	}
	return x.root.Remove(dest)
}

func (x *tarExtractor) file(dest string, r io.Reader) (int64, error) {
	if err := x.replace(dest); err != nil {
		return 0, err
	}
	f, err := x.root.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// link makes a hard link to another entry of the same archive.
func (x *tarExtractor) link(dest, linkname string) error {
	old, err := x.rebaseLink(linkname)
	if err != nil {
		return err
	}
	if err := x.replace(dest); err != nil {
		return err
	}
	return x.root.Link(old, dest)
}

// rebaseLink maps a hard link's target like an entry name (rebase only
// changes state for the first entry, which a link never is).
func (x *tarExtractor) rebaseLink(name string) (string, error) {
	if !x.seen {
		return "", classedErrorf(errdefs.ErrInvalid, "hard link %q before any entry", name)
	}
	return x.rebase(name)
}

// node makes a fifo or device node. os.Root has no mknod, so the parent
// is opened through the root and the node made relative to it with a
// single-component name (mknodat does not follow a final symlink).
func (x *tarExtractor) node(dest string, hdr *tar.Header) error {
	if err := x.replace(dest); err != nil {
		return err
	}
	parent, err := x.root.Open(filepath.Dir(dest))
	if err != nil {
		return err
	}
	defer parent.Close()
	mode := uint32(hdr.Mode & 0o7777)
	switch hdr.Typeflag {
	case tar.TypeFifo:
		mode |= unix.S_IFIFO
	case tar.TypeChar:
		mode |= unix.S_IFCHR
	case tar.TypeBlock:
		mode |= unix.S_IFBLK
	}
	dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
	if err := unix.Mknodat(int(parent.Fd()), filepath.Base(dest), mode, int(dev)); err != nil {
		return &os.PathError{Op: "mknodat", Path: dest, Err: err}
	}
	return nil
}

func (x *tarExtractor) chown(dest string, hdr *tar.Header) error {
	if !x.keepOwner {
		return nil
	}
	return x.root.Lchown(dest, hdr.Uid, hdr.Gid)
}

func (x *tarExtractor) modeAndTimes(dest string, hdr *tar.Header) error {
	if err := x.root.Chmod(dest, hdr.FileInfo().Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = time.Now()
	}
	return x.root.Chtimes(dest, atime, hdr.ModTime)
}

// finishDirs applies directory modes and times deepest first, after their
// content was written (a read-only directory is made writable-first).
func (x *tarExtractor) finishDirs() error {
	for i := len(x.dirs) - 1; i >= 0; i-- {
		if err := x.modeAndTimes(x.dirs[i].Name, x.dirs[i]); err != nil {
			return err
		}
	}
	return nil
}
