package layer

import (
	"archive/tar"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Merge flattens layer directories (bottom first, in either whiteout
// format) into dst, applying their whiteouts and opaque markers, so that
// dst holds the tree an overlay mount of them would show. The snapshotter
// uses it for the copy driver and to flatten images too deep for one
// overlay mount. dst gets no whiteouts of its own.
func Merge(ctx context.Context, dst string, layerDirs []string, opts Options) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("merging layers into %s: %w", dst, err)
	}
	a, err := newApplier(ctx, dst, opts)
	if err != nil {
		return fmt.Errorf("merging layers into %s: %w", dst, err)
	}
	defer a.close()
	for _, l := range layerDirs {
		m := &merger{a: a, src: l, links: map[fileID]string{}}
		if err := m.dir("."); err != nil {
			return fmt.Errorf("merging layer %s into %s: %w", l, dst, err)
		}
	}
	return a.finish()
}

// merger copies one layer directory onto the applier's tree.
type merger struct {
	a     *applier
	src   string
	links map[fileID]string
}

func (m *merger) dir(rel string) error {
	names, err := readDirNames(filepath.Join(m.src, rel))
	if err != nil {
		return err
	}
	if m.isOpaque(rel, names) {
		if err := m.clearChildren(rel); err != nil {
			return err
		}
	}
	for _, n := range names {
		if err := m.a.ctx.Err(); err != nil {
			return err
		}
		if err := m.entry(rel, n); err != nil {
			return fmt.Errorf("%q: %w", path.Join(rel, n), err)
		}
	}
	return nil
}

func (m *merger) isOpaque(rel string, names []string) bool {
	for _, n := range names {
		if n == WhiteoutOpaque {
			return true
		}
	}
	return rel != "." && isOpaqueDir(filepath.Join(m.src, rel))
}

func (m *merger) clearChildren(rel string) error {
	f, err := m.a.root.Open(rel)
	if err != nil {
		return nil // nothing below yet
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	m.a.parent.close()
	for _, n := range names {
		if err := m.a.root.RemoveAll(path.Join(rel, n)); err != nil {
			return err
		}
	}
	return nil
}

func (m *merger) entry(rel, n string) error {
	r := path.Join(rel, n)
	if n == WhiteoutOpaque {
		return nil
	}
	if victim, ok := strings.CutPrefix(n, WhiteoutPrefix); ok {
		return m.a.clear(path.Join(rel, victim), false)
	}
	abs := filepath.Join(m.src, r)
	fi, err := os.Lstat(abs)
	if err != nil {
		return err
	}
	if isOverlayWhiteout(fi) {
		return m.a.clear(r, false)
	}
	hdr, err := m.header(abs, r, fi)
	if err != nil {
		return err
	}
	if err := m.a.clear(r, fi.IsDir()); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := m.a.mkdir(r, hdr); err != nil {
			return err
		}
		return m.dir(r)
	case tar.TypeReg:
		return m.file(abs, r, hdr)
	case tar.TypeSymlink:
		return m.a.symlink(r, hdr)
	case tar.TypeLink:
		return m.a.hardlink(r, hdr)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return m.a.device(r, hdr)
	}
	return nil // sockets are not image content
}

func (m *merger) file(abs, rel string, hdr *tar.Header) error {
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()
	return m.a.file(rel, hdr, f)
}

// header describes a source entry as a tar header, so the applier's
// (escape-proof) creation code serves merging too.
func (m *merger) header(abs, rel string, fi fs.FileInfo) (*tar.Header, error) {
	t := tarWriter{links: m.links}
	hdr, err := t.header(abs, rel, fi)
	if err != nil {
		return nil, err
	}
	hdr.Name = rel
	return hdr, nil
}
