package layer

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/onggi/onggi/image/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// applier is the state of one Apply.
type applier struct {
	ctx     context.Context
	root    *os.Root
	dir     string
	opts    Options
	buf     []byte
	dirTime []dirTime // set last: creating children bumps a dir's mtime
	parent  parentCache
}

type dirTime struct {
	name         string
	atime, mtime time.Time
}

func apply(ctx context.Context, dir string, r io.Reader, opts Options) (res Result, retErr error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("applying layer to %s: %w", dir, err)
	}
	a, err := newApplier(ctx, dir, opts)
	if err != nil {
		return res, err
	}
	defer a.close()
	rc, comp, err := Decompress(r)
	if err != nil {
		return res, err
	}
	defer rc.Close()
	h := digest.SHA256.Digester()
	cr := &capReader{r: rc, max: opts.MaxSize}
	n, err := a.run(tar.NewReader(io.TeeReader(cr, h.Hash())))
	if err != nil {
		return res, fmt.Errorf("applying layer to %s: %w", dir, err)
	}
	// The diff ID covers the whole stream, including the end-of-archive
	// blocks and any padding after them.
	if _, err := io.CopyBuffer(h.Hash(), cr, a.buf); err != nil {
		return res, fmt.Errorf("applying layer to %s: %w", dir, err)
	}
	return Result{DiffID: h.Digest(), Size: cr.n, Compression: comp, Entries: n}, nil
}

// run applies every entry of tr and then the directory times.
func (a *applier) run(tr *tar.Reader) (int, error) {
	n := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("reading tar: %w", asInvalid(err))
		}
		n++
		if n > a.opts.MaxEntries {
			return n, fmt.Errorf("%w: more than %d entries: %w", ErrTooLarge, a.opts.MaxEntries, errdefs.ErrInvalid)
		}
		if err := a.ctx.Err(); err != nil {
			return n, err
		}
		if err := a.entry(hdr, tr); err != nil {
			return n, fmt.Errorf("entry %q: %w", hdr.Name, err)
		}
	}
	return n, a.finish()
}

func newApplier(ctx context.Context, dir string, opts Options) (*applier, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening layer dir: %w", err)
	}
	return &applier{ctx: ctx, root: root, dir: dir, opts: opts, buf: make([]byte, 1<<20)}, nil
}

func (a *applier) close() {
	a.parent.close()
	a.root.Close()
}

// finish sets the directory times, deepest last-created first.
func (a *applier) finish() error {
	done := make(map[string]bool, len(a.dirTime))
	for i := len(a.dirTime) - 1; i >= 0; i-- {
		dt := a.dirTime[i]
		if done[dt.name] { // a later entry (or layer) set this dir again
			continue
		}
		done[dt.name] = true
		err := a.setTimes(dt.name, dt.atime, dt.mtime)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) { // removed or replaced later
			return fmt.Errorf("setting times of %q: %w", dt.name, err)
		}
	}
	a.dirTime = nil
	return nil
}

// asInvalid classifies tar format errors (but not I/O errors from below,
// which already carry their own class).
func asInvalid(err error) error {
	if errors.Is(err, tar.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", errdefs.ErrInvalid, err)
	}
	return err
}

// cleanName validates a tar entry name and returns it relative to the
// layer root ("." for the root itself). Absolute names and any ".."
// component are refused outright: no legitimate layer needs them, and
// rejecting them keeps the host safe even before os.Root's checks.
func cleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%w: absolute path", errdefs.ErrInvalid)
	}
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: NUL in path", errdefs.ErrInvalid)
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", fmt.Errorf("%w: path escapes the layer with \"..\"", errdefs.ErrInvalid)
		}
	}
	return path.Clean(name), nil
}

// entry applies one tar entry.
func (a *applier) entry(hdr *tar.Header, tr io.Reader) error {
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	base, parent := path.Base(name), path.Dir(name)
	if _, err := a.parent.get(a.root, parent); err != nil {
		return classify(err)
	}
	if base == WhiteoutOpaque {
		return a.opaque(parent)
	}
	if strings.HasPrefix(base, WhiteoutPrefix) {
		return a.whiteout(parent, base)
	}
	if err := a.clear(name, hdr.Typeflag == tar.TypeDir); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return a.mkdir(name, hdr)
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		return a.file(name, hdr, tr)
	case tar.TypeSymlink:
		return a.symlink(name, hdr)
	case tar.TypeLink:
		return a.hardlink(name, hdr)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return a.device(name, hdr)
	case tar.TypeXGlobalHeader:
		return nil
	}
	return fmt.Errorf("%w: unsupported tar entry type %q", errdefs.ErrInvalid, hdr.Typeflag)
}

// classify marks os.Root's escape refusals as ErrInvalid (the layer is
// malicious or broken), leaving real I/O errors as they are. The standard
// library does not export that error, so its fixed text is the only handle.
func classify(err error) error {
	if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
		return fmt.Errorf("%w: %w", errdefs.ErrInvalid, err)
	}
	return err
}

func (a *applier) hardlink(name string, hdr *tar.Header) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hard link target %q: %w", hdr.Linkname, err)
	}
	// link(2) does not follow a symlink at target, and os.Root refuses a
	// target path that leaves the layer.
	if err := a.root.Link(target, name); err != nil {
		return fmt.Errorf("hard link to %q: %w", hdr.Linkname, classify(err))
	}
	return nil
}

// attrs sets owner, mode and xattrs on an open file or directory, in the
// order that keeps setuid bits (chown clears them).
func (a *applier) attrs(f *os.File, hdr *tar.Header) error {
	if !a.opts.NoSameOwner {
		if err := f.Chown(hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	}
	if err := f.Chmod(tarMode(hdr)); err != nil {
		return err
	}
	return a.xattrs(f, hdr)
}

// tarMode maps the tar mode bits (including setuid/setgid/sticky) to Go's.
func tarMode(hdr *tar.Header) os.FileMode {
	m := os.FileMode(hdr.Mode & 0o777)
	if hdr.Mode&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	if hdr.Mode&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if hdr.Mode&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}

// xattrs applies the SCHILY.xattr.* records. trusted.overlay.* from a tar
// is dropped: those attributes steer overlayfs (opaque, redirect, origin),
// and a layer must not forge them.
func (a *applier) xattrs(f *os.File, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		key, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok || strings.HasPrefix(key, "trusted.overlay.") {
			continue
		}
		if err := fsetxattr(f, key, v); err != nil {
			return err
		}
	}
	return nil
}

// capReader counts bytes and fails past max (decompression bombs).
type capReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, fmt.Errorf("%w: more than %d uncompressed bytes: %w", ErrTooLarge, c.max, errdefs.ErrInvalid)
	}
	return n, err
}
