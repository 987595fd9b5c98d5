package volume

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// size adds up the Lstat sizes of everything but directories under
// _data, counting a hard-linked file once (as docker's directory.Size).
// Entries vanishing during the walk are skipped: a container may be
// writing.
func (s *Store) size(v *Volume) (int64, error) {
	if !validName(v.Name) {
		return 0, notFound(v.Name)
	}
	seen := map[[2]uint64]bool{}
	var total int64
	err := filepath.WalkDir(s.dataPath(v.Name), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path != s.dataPath(v.Name) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if key, ok := hardLinkKey(fi); ok {
			if seen[key] {
				return nil
			}
			seen[key] = true
		}
		total += fi.Size()
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return 0, notFound(v.Name)
	}
	return total, err
}
