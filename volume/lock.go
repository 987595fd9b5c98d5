package volume

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/internal/flock"
)

// Locks live in <dir>/.locks/<name>, not <dir>/<name>.lock: "x.lock" is
// itself a valid volume name, and a leading "." is not.
func (s *Store) lockPath(name string) string { return filepath.Join(s.dir, ".locks", name) }

// lock flocks the volume's lock file. Remove deletes that file, so after
// getting the lock we check the path still names the file we locked;
// otherwise we locked an orphan and try again.
func (s *Store) lock(name string) (func(), error) {
	if !validName(name) {
		return nil, notFound(name)
	}
	path := s.lockPath(name)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("locking volume %s: %w", name, err)
		}
		if err := flock.Lock(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("locking volume %s: %w", name, err)
		}
		fi, err1 := f.Stat()
		cur, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(fi, cur) {
			return func() { f.Close() }, nil
		}
		f.Close()
	}
}
