package cli

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// tarWriter archives a host path for a container. A directory is walked
// through an os.Root opened on it, so a symlink swapped in during the walk
// cannot make it read files outside the source.
type tarWriter struct {
	keepOwner  bool // -a: keep host uid/gid; else root-owned, as docker
	followLink bool // -L: archive what a symlinked source points to
	copied     int64
}

// write archives src under the top name in the archive.
func (t *tarWriter) write(w io.Writer, src, name string) error {
	tw := tar.NewWriter(w)
	stat := os.Lstat
	if t.followLink {
		stat = os.Stat
	}
	fi, err := stat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		if err := t.single(tw, src, name, fi); err != nil {
			return err
		}
		return tw.Close()
	}
	root, err := os.OpenRoot(src)
	if err != nil {
		return err
	}
	defer root.Close()
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return t.entry(tw, root, p, path.Join(name, p), info)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// single archives a source that is not a directory.
func (t *tarWriter) single(tw *tar.Writer, src, name string, fi fs.FileInfo) error {
	root, err := os.OpenRoot(filepath.Dir(src))
	if err != nil {
		return err
	}
	defer root.Close()
	base := filepath.Base(src)
	if fi.Mode().IsRegular() && t.followLink {
		// -L on a symlinked file: read the file it points to (os.Stat
		// already described it; a fifo is never opened).
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		return t.header(tw, fi, "", name, f)
	}
	return t.entry(tw, root, base, name, fi)
}

// entry writes one file at p (inside root) as name.
func (t *tarWriter) entry(tw *tar.Writer, root *os.Root, p, name string, fi fs.FileInfo) error {
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		l, err := root.Readlink(p)
		if err != nil {
			return err
		}
		link = l
	}
	if !fi.Mode().IsRegular() {
		return t.header(tw, fi, link, name, nil)
	}
	f, err := root.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return t.header(tw, fi, link, name, f)
}

func (t *tarWriter) header(tw *tar.Writer, fi fs.FileInfo, link, name string, content io.Reader) error {
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name = name
	if fi.IsDir() && name != "." {
		hdr.Name += "/"
	}
	hdr.Uname, hdr.Gname = "", ""
	if !t.keepOwner {
		hdr.Uid, hdr.Gid = 0, 0
	}
	hdr.Format = tar.FormatPAX
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if content == nil {
		return nil
	}
	n, err := io.Copy(tw, io.LimitReader(content, hdr.Size))
	t.copied += n
	return err
}
