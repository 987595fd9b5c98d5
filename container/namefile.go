package container

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/onggi/onggi/internal/flock"
)

// A name file (names/<name>) holds the owning id. It appears fully
// written and already flocked (written to a temp file, locked, then
// link(2)ed into place, which fails if the name exists), and its creator
// keeps the lock until the record naming it is in place. So a second
// creator that finds the name waits on the lock and then sees either a
// real owner (conflict) or a stale file left by a crash (taken over).

func (s *Store) namePath(name string) string { return filepath.Join(s.dir, "names", name) }

// reserveName makes names/<name> hold id and returns it locked; the
// caller closes it (unlocking) once the record is written, or calls
// s.dropName to undo.
func (s *Store) reserveName(name, id string) (*os.File, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "names"), ".tmp-")
	if err != nil {
		return nil, fmt.Errorf("reserving name %q: %w", name, err)
	}
	if err := s.fillNameTemp(tmp, id); err != nil {
		discardTemp(tmp)
		return nil, fmt.Errorf("reserving name %q: %w", name, err)
	}
	path := s.namePath(name)
	for {
		err := os.Link(tmp.Name(), path)
		if err == nil {
			os.Remove(tmp.Name())
			return tmp, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			discardTemp(tmp)
			return nil, fmt.Errorf("reserving name %q: %w", name, err)
		}
		done, err := s.takeOver(name, id, tmp)
		if err != nil {
			discardTemp(tmp)
			return nil, err
		}
		if done {
			return tmp, nil
		}
	}
}

func (s *Store) fillNameTemp(f *os.File, id string) error {
	if err := flock.Lock(f); err != nil {
		return err
	}
	_, err := f.WriteString(id)
	return err
}

func discardTemp(f *os.File) {
	os.Remove(f.Name())
	f.Close()
}

// takeOver waits for the current holder of names/<name>, then replaces
// the file with tmp if its owner is gone (a crash between reserving the
// name and writing the record, or a removed container). done=false means
// the file changed under us: try again.
func (s *Store) takeOver(name, id string, tmp *os.File) (done bool, err error) {
	path := s.namePath(name)
	old, err := lockedIfCurrent(path)
	if err != nil || old == nil {
		return false, err
	}
	defer old.Close()
	owner, err := io.ReadAll(old)
	if err != nil {
		return false, fmt.Errorf("reading name %q: %w", name, err)
	}
	if o := strings.TrimSpace(string(owner)); o != id && s.owns(o, name) {
		return false, nameInUse(name, o)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, fmt.Errorf("reserving name %q: %w", name, err)
	}
	return true, nil
}

// lockedIfCurrent opens and flocks path, and returns nil (no error) if
// the path was removed or replaced meanwhile, since the lock we hold is
// then on a file nobody looks at any more.
func lockedIfCurrent(path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := flock.Lock(f); err != nil {
		f.Close()
		return nil, err
	}
	fi, err1 := f.Stat()
	cur, err2 := os.Stat(path)
	if err1 != nil || err2 != nil || !os.SameFile(fi, cur) {
		f.Close()
		return nil, nil
	}
	return f, nil
}

// owns reports whether the record id exists and carries name: a name file
// whose record is gone or renamed away is free.
func (s *Store) owns(id, name string) bool {
	if !isFullID(id) {
		return false
	}
	c, err := s.read(id)
	return err == nil && c.Name == name
}

// nameOwner returns the id in names/<name> ("" if none).
func (s *Store) nameOwner(name string) string {
	b, err := os.ReadFile(s.namePath(name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// unlinkName removes names/<name> if it still holds id; under the file's
// lock so a creator taking over a stale name cannot lose its fresh file.
func (s *Store) unlinkName(name, id string) error {
	f, err := lockedIfCurrent(s.namePath(name))
	if err != nil || f == nil {
		return err
	}
	defer f.Close()
	owner, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(owner)) != id {
		return nil
	}
	if err := os.Remove(s.namePath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// dropName undoes reserveName after a failure, then unlocks.
func (s *Store) dropName(name string, held *os.File) {
	fi, err1 := held.Stat()
	cur, err2 := os.Stat(s.namePath(name))
	if err1 == nil && err2 == nil && os.SameFile(fi, cur) {
		os.Remove(s.namePath(name))
	}
	held.Close()
}
