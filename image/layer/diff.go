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
	"path/filepath"
	"sort"
	"time"
)

// tarWriter writes filesystem entries as layer tar entries.
type tarWriter struct {
	ctx   context.Context
	tw    *tar.Writer
	links map[fileID]string // first name of each multiply-linked inode
	buf   []byte
}

type fileID struct{ dev, ino uint64 }

func newTarWriter(ctx context.Context, w io.Writer) *tarWriter {
	return &tarWriter{ctx: ctx, tw: tar.NewWriter(w), links: map[fileID]string{}, buf: make([]byte, 1<<20)}
}

// add writes abs (lstat'ed as fi) under the tar name rel.
func (t *tarWriter) add(abs, rel string, fi fs.FileInfo) error {
	if err := t.ctx.Err(); err != nil {
		return err
	}
	hdr, err := t.header(abs, rel, fi)
	if err != nil {
		return err
	}
	if err := t.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing tar entry %q: %w", rel, err)
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
		return nil
	}
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.CopyBuffer(t.tw, io.LimitReader(f, hdr.Size), t.buf)
	if err != nil {
		return fmt.Errorf("writing tar entry %q: %w", rel, err)
	}
	if n != hdr.Size {
		return fmt.Errorf("writing tar entry %q: file shrank while being read", rel)
	}
	return nil
}

// header builds rel's tar header: owners by number only (host user names
// mean nothing in an image), no atime/ctime (so equal trees give equal
// tars and equal diff IDs).
func (t *tarWriter) header(abs, rel string, fi fs.FileInfo) (*tar.Header, error) {
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		l, err := os.Readlink(abs)
		if err != nil {
			return nil, err
		}
		link = l
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return nil, fmt.Errorf("tar header for %q: %w", rel, err)
	}
	hdr.Name = rel
	if fi.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uname, hdr.Gname = "", ""
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.Format = tar.FormatPAX
	st := statOf(fi)
	hdr.Uid, hdr.Gid = int(st.uid), int(st.gid)
	if fi.Mode().IsRegular() && st.nlink > 1 {
		id := fileID{st.dev, st.ino}
		if first, ok := t.links[id]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
		} else {
			t.links[id] = rel
		}
	}
	xa, err := listXattrs(abs)
	if err != nil {
		return nil, fmt.Errorf("xattrs of %q: %w", rel, err)
	}
	for k, v := range xa {
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+k] = v
	}
	return hdr, nil
}

// whiteout writes the OCI whiteout entry for rel.
func (t *tarWriter) whiteout(rel string, mtime time.Time) error {
	name := path.Join(path.Dir(rel), WhiteoutPrefix+path.Base(rel))
	return t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, ModTime: mtime, Format: tar.FormatPAX})
}

func (t *tarWriter) opaque(relDir string, mtime time.Time) error {
	return t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: path.Join(relDir, WhiteoutOpaque), Mode: 0o600, ModTime: mtime, Format: tar.FormatPAX})
}

func (t *tarWriter) close() error { return t.tw.Close() }

// readDirNames lists dir sorted; a missing dir is empty.
func readDirNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	sort.Strings(names)
	return names, nil
}

// diffUpper tars an overlay upper directory.
func diffUpper(ctx context.Context, lowerDirs []string, upperDir string, w io.Writer) error {
	t := newTarWriter(ctx, w)
	if err := t.upper(lowerDirs, upperDir, ""); err != nil {
		return fmt.Errorf("diffing %s: %w", upperDir, err)
	}
	return t.close()
}

func (t *tarWriter) upper(lowers []string, upperDir, rel string) error {
	names, err := readDirNames(filepath.Join(upperDir, rel))
	if err != nil {
		return err
	}
	for _, n := range names {
		r := path.Join(rel, n)
		abs := filepath.Join(upperDir, r)
		fi, err := os.Lstat(abs)
		if err != nil {
			return err
		}
		if isOverlayWhiteout(fi) {
			if lowers == nil || existsInAny(lowers, r) {
				if err := t.whiteout(r, fi.ModTime()); err != nil {
					return err
				}
			}
			continue
		}
		if err := t.add(abs, r, fi); err != nil {
			return err
		}
		if !fi.IsDir() {
			continue
		}
		if isOpaqueDir(abs) {
			if err := t.opaque(r, fi.ModTime()); err != nil {
				return err
			}
		}
		if err := t.upper(lowers, upperDir, r); err != nil {
			return err
		}
	}
	return nil
}

func existsInAny(dirs []string, rel string) bool {
	for _, d := range dirs {
		if _, err := os.Lstat(filepath.Join(d, rel)); err == nil {
			return true
		}
	}
	return false
}

// diffTrees tars the changes from base to next (base "" = all of next).
func diffTrees(ctx context.Context, base, next string, w io.Writer) error {
	t := newTarWriter(ctx, w)
	if err := t.trees(base, next, ""); err != nil {
		return fmt.Errorf("diffing %s against %s: %w", next, base, err)
	}
	return t.close()
}

func (t *tarWriter) trees(base, next, rel string) error {
	newNames, err := readDirNames(filepath.Join(next, rel))
	if err != nil {
		return err
	}
	var oldNames []string
	if base != "" {
		if oldNames, err = readDirNames(filepath.Join(base, rel)); err != nil {
			return err
		}
	}
	for _, n := range mergeNames(oldNames, newNames) {
		if err := t.treeEntry(base, next, path.Join(rel, n)); err != nil {
			return err
		}
	}
	return nil
}

// treeEntry handles one name present in base, next or both.
func (t *tarWriter) treeEntry(base, next, r string) error {
	nfi, nerr := os.Lstat(filepath.Join(next, r))
	if nerr != nil && !errors.Is(nerr, fs.ErrNotExist) {
		return nerr
	}
	var ofi fs.FileInfo
	if base != "" {
		var err error
		if ofi, err = os.Lstat(filepath.Join(base, r)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	switch {
	case nfi == nil: // deleted
		return t.whiteout(r, time.Unix(0, 0).UTC())
	case ofi == nil || !sameEntry(filepath.Join(base, r), filepath.Join(next, r), ofi, nfi):
		if err := t.add(filepath.Join(next, r), r, nfi); err != nil {
			return err
		}
	}
	if !nfi.IsDir() {
		return nil
	}
	if ofi != nil && !ofi.IsDir() {
		return t.trees("", next, r) // replaced a non-dir: nothing below to compare
	}
	return t.trees(base, next, r)
}

// sameEntry decides whether an entry is unchanged, as containerd's
// fs.Changes does: type, mode, owner, size, mtime, link target, device,
// xattrs.
func sameEntry(oldAbs, newAbs string, o, n fs.FileInfo) bool {
	if o.Mode() != n.Mode() || !o.ModTime().Equal(n.ModTime()) {
		return false
	}
	os1, ns := statOf(o), statOf(n)
	if os1.uid != ns.uid || os1.gid != ns.gid || os1.rdev != ns.rdev {
		return false
	}
	if o.Mode().IsRegular() && o.Size() != n.Size() {
		return false
	}
	if o.Mode()&fs.ModeSymlink != 0 {
		a, _ := os.Readlink(oldAbs)
		b, _ := os.Readlink(newAbs)
		if a != b {
			return false
		}
	}
	xo, _ := listXattrs(oldAbs)
	xn, _ := listXattrs(newAbs)
	return fmt.Sprint(xo) == fmt.Sprint(xn)
}

func mergeNames(a, b []string) []string {
	seen := make(map[string]bool, len(a)+len(b))
	var out []string
	for _, l := range [][]string{a, b} {
		for _, n := range l {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}
