package fscopy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"syscall"
)

// walk lists the tree below the directory full (rootRel relative to Root,
// sub relative to the item), parents before children, names sorted.
// Symlinks are not followed. An invisible directory is kept only when
// some path below it is visible (a `!` exception), as BuildKit does.
func (p *planner) walk(full, rootRel, sub string) ([]entry, error) {
	ents, err := os.ReadDir(full)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rootRel, err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out []entry
	for _, n := range names {
		rel := path.Join(rootRel, n)
		e := entry{rel: path.Join(sub, n), abs: filepath.Join(full, n)}
		fi, err := os.Lstat(e.abs)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while walking
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		e.fi = fi
		switch {
		case fi.IsDir():
			if p.skipDir(rel) {
				continue
			}
			kids, err := p.walk(e.abs, rel, e.rel)
			if err != nil {
				return nil, err
			}
			if len(kids) == 0 && p.ignored(rel) {
				continue
			}
			out = append(out, e)
			out = append(out, kids...)
			continue
		case fi.Mode()&fs.ModeSymlink != 0:
			if e.link, err = os.Readlink(e.abs); err != nil {
				return nil, fmt.Errorf("%s: %w", rel, err)
			}
		case fi.Mode()&fs.ModeSocket != 0:
			continue // docker skips sockets
		}
		if p.ignored(rel) {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
