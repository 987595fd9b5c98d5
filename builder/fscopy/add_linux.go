//go:build linux

package fscopy

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/onggi/onggi/image/layer"
)

// url downloads a URL to dest (or dest/<basename> when dest is a
// directory; "__unnamed__" when the URL path has none, as BuildKit names
// it) with mode 0600 and the Last-Modified time; it is never extracted.
func (w *writer) url(rawURL, dest string, destDir bool) error {
	dl, err := download(rawURL)
	if err != nil {
		return err
	}
	defer dl.remove()
	target := dest
	if destDir {
		target = path.Join(dest, dl.name)
	}
	parent, err := w.dir(path.Dir(clean(target)))
	if err != nil {
		return err
	}
	name := path.Base(target)
	if err := replace(parent, name, target); err != nil {
		return err
	}
	in, err := os.Open(dl.path)
	if err != nil {
		return err
	}
	defer in.Close()
	uid, gid := 0, 0
	if w.own != nil {
		uid, gid = w.own.uid, w.own.gid
	}
	perm := uint32(0o600)
	if w.chmod != nil {
		perm = w.chmod.apply(perm, false)
	}
	mt := dl.modTime
	if mt.IsZero() {
		mt = time.Now()
	}
	return w.writeFrom(parent, target, name, in, uid, gid, perm, mt, mt)
}

// extract unpacks a local tar archive into the directory dest (ADD).
// Entries stay inside dest (layer.Apply refuses escapes); owners in the
// archive are kept when running as root.
func (w *writer) extract(archive, dest string) error {
	h, err := w.dir(dest)
	if err != nil {
		return err
	}
	dir, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(h.Fd())))
	if err != nil {
		return fmt.Errorf("resolving /%s: %w", dest, err)
	}
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	rc, _, err := Decompress(f)
	if err != nil {
		return fmt.Errorf("extracting %s: %w", path.Base(archive), err)
	}
	defer rc.Close()
	root := os.Geteuid() == 0
	_, err = layer.Apply(context.Background(), dir, rc, layer.Options{
		Whiteouts: layer.WhiteoutOCI, NoSameOwner: !root, NoDevices: !root,
	})
	if err != nil {
		return fmt.Errorf("extracting %s to /%s: %w", path.Base(archive), dest, err)
	}
	if w.own != nil {
		return w.chownExtracted(archive, dest)
	}
	return nil
}

// chownExtracted gives the entries of an extracted archive the --chown
// owner, as BuildKit does; it lists the archive again rather than
// re-owning whatever else is under dest.
func (w *writer) chownExtracted(archive, dest string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	rc, _, err := Decompress(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", path.Base(archive), err)
		}
		name := clean(hdr.Name)
		if name == "" || strings.HasPrefix(path.Base(name), layer.WhiteoutPrefix) {
			continue
		}
		rel := path.Join(dest, name)
		parent, err := w.dir(path.Dir(rel))
		if err != nil {
			return err
		}
		if err := w.lchown(parent, path.Base(rel), rel, w.own.uid, w.own.gid); err != nil {
			return err
		}
	}
}
