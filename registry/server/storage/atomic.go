package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// writeFileAtomic replaces path with data so that readers see either the old
// or the new content, never a torn write, even across a crash.
func writeFileAtomic(path string, data []byte) (retErr error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable. Directories cannot be opened for
// syncing on every OS (Windows), so failure here is not an error: the rename
// itself is still atomic.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// touch refreshes path's modification time, telling a concurrent garbage
// collector that the file is in use. It fails with fs.ErrNotExist if gc
// already took the file away.
func touch(path string) error {
	now := time.Now()
	return os.Chtimes(path, now, now)
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
