package builder

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"strings"
	"time"
)

// dirMeta is what makes a directory entry "unchanged" in a layer.
type dirMeta struct {
	mode     fs.FileMode
	uid, gid int
	mtime    time.Time
}

// keepEntry decides whether a layer tar entry stays; nil keeps all.
type keepEntry func(h *tar.Header) bool

// dropUnchangedDirs keeps every entry except the directories listed in
// dirs whose metadata is as recorded: parents of the mountpoints the
// runtime created, which overlayfs copied up although the step did not
// change them. Their children, if any, still apply on the lower layer's
// directory.
func dropUnchangedDirs(dirs map[string]dirMeta) keepEntry {
	if len(dirs) == 0 {
		return nil
	}
	return func(h *tar.Header) bool {
		if h.Typeflag != tar.TypeDir {
			return true
		}
		m, ok := dirs[strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")]
		if !ok {
			return true
		}
		same := h.FileInfo().Mode() == m.mode && h.Uid == m.uid && h.Gid == m.gid && h.ModTime.Unix() == m.mtime.Unix()
		return !same
	}
}

// filterTar copies the tar stream r to w without the entries keep refuses.
func filterTar(r io.Reader, w io.Writer, keep keepEntry) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tw.Close()
		}
		if err != nil {
			return err
		}
		if !keep(h) {
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}
