package volume

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// populate copies src into a plain volume once. Docker copies whenever
// the volume is empty; we copy only into an empty, never-populated
// volume, and mark it either way so a volume the user emptied stays
// empty. It takes the volume lock itself.
func (s *Store) populate(v *Volume, src string) error {
	unlock, err := s.lock(v.Name)
	if err != nil {
		return err
	}
	defer unlock()
	if v, err = s.get(v.Name); err != nil {
		return err
	}
	if len(v.Options) > 0 {
		return nil // tmpfs and device volumes have no _data to fill
	}
	marker := filepath.Join(s.volPath(v.Name), populatedFile)
	if _, err := os.Lstat(marker); err == nil {
		return nil
	}
	fi, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) || err == nil && !fi.IsDir() {
		return nil // nothing in the image at the mount point (yet)
	}
	if err != nil {
		return fmt.Errorf("populating volume %s: %w", v.Name, err)
	}
	empty, err := isEmptyDir(s.dataPath(v.Name))
	if err != nil {
		return fmt.Errorf("populating volume %s: %w", v.Name, err)
	}
	if empty {
		if err := copyTree(src, s.dataPath(v.Name)); err != nil {
			return fmt.Errorf("populating volume %s from %s: %w", v.Name, src, err)
		}
	}
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		return fmt.Errorf("populating volume %s: %w", v.Name, err)
	}
	return nil
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if err == io.EOF {
		return true, nil
	}
	return false, err
}
