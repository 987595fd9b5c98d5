package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/onggi/onggi/errdefs"
)

const (
	recordFile = "container.json"
	lockFile   = "lock"
	// randomNameTries bounds the search for a free random name.
	randomNameTries = 20
)

func openStore(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "names"), 0o700); err != nil {
		return nil, fmt.Errorf("opening container store: %w", err)
	}
	return &Store{dir: dir}, nil
}

// create assembles the record in a temp directory and renames the whole
// directory into place, so a kill -9 at any instant leaves either no
// record or a complete one (plus, at worst, a stale name file that the
// next create of that name takes over, and a .tmp- dir List sweeps).
func (s *Store) create(c *Container) (retErr error) {
	if err := s.fillNew(c); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(s.dir, ".tmp-"+c.ID[:12]+"-")
	if err != nil {
		return fmt.Errorf("creating container %s: %w", c.ID, err)
	}
	defer func() {
		if retErr != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.WriteFile(filepath.Join(tmp, lockFile), nil, 0o600); err != nil {
		return fmt.Errorf("creating container %s: %w", c.ID, err)
	}
	held, err := s.claimName(c)
	if err != nil {
		return err
	}
	if err := writeRecord(tmp, c); err != nil {
		s.dropName(c.Name, held)
		return fmt.Errorf("creating container %s: %w", c.ID, err)
	}
	if err := renameNoReplace(tmp, s.Dir(c.ID)); err != nil {
		s.dropName(c.Name, held)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("container id %s: %w", c.ID, errdefs.ErrExists)
		}
		return fmt.Errorf("creating container %s: %w", c.ID, err)
	}
	held.Close()
	return nil
}

// fillNew validates the caller's fields and fills the defaults.
func (s *Store) fillNew(c *Container) error {
	switch {
	case c.ID == "":
		c.ID = s.freeID()
	case !isFullID(c.ID):
		return fmt.Errorf("container id %q: must be 64 hex digits: %w", c.ID, errdefs.ErrInvalid)
	}
	if c.Name != "" {
		n, err := NormalizeName(c.Name)
		if err != nil {
			return err
		}
		c.Name = n
	}
	if c.Created.IsZero() {
		c.Created = time.Now().UTC()
	}
	if c.State.Status == "" {
		c.State = NewState()
	}
	return nil
}

// freeID draws ids until one has no directory yet (a 2^-256 chance,
// but cheap to rule out). A race with another creator is still caught
// by the no-replace rename in create.
func (s *Store) freeID() string {
	for {
		id := generateID()
		if _, err := os.Lstat(s.Dir(id)); errors.Is(err, fs.ErrNotExist) {
			return id
		}
	}
}

// claimName reserves c.Name, or a free random name when it is empty.
func (s *Store) claimName(c *Container) (*os.File, error) {
	if c.Name != "" {
		return s.reserveName(c.Name, c.ID)
	}
	for try := 0; try < randomNameTries; try++ {
		name := randomName(try / 3)
		held, err := s.reserveName(name, c.ID)
		if errors.Is(err, errdefs.ErrExists) {
			continue
		}
		if err == nil {
			c.Name = name
		}
		return held, err
	}
	return nil, fmt.Errorf("no free random container name after %d tries: %w", randomNameTries, errdefs.ErrExists)
}

// writeRecord replaces dir/container.json atomically: temp file in the
// same directory, then rename. A reader, and a writer killed at any
// instant (kill -9, OOM), sees the old record or the new one, never a mix.
//
// There is deliberately no fsync: it cost ~0.5-1 ms per write on ext4,
// and `run --rm` writes the record four times. What it would buy is only
// durability across a power loss or kernel crash, after which the
// container's processes, mounts and runroot are gone anyway and the
// engine reconciles states that claim otherwise; the worst case is a
// record that lost its last update or reads as empty, which List skips.
// Image content and layers, where a lost write would corrupt shared data,
// keep their fsyncs (image store).
func writeRecord(dir string, c *Container) (retErr error) {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+recordFile+"-")
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			os.Remove(f.Name())
		}
	}()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, recordFile))
}

// read loads the record of a full id.
func (s *Store) read(id string) (*Container, error) {
	data, err := os.ReadFile(filepath.Join(s.Dir(id), recordFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading container %s: %w", id, err)
	}
	c := new(Container)
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("decoding container %s: %w", id, err)
	}
	return c, nil
}

// resolve turns a reference into a full id; full ids skip any lookup.
func (s *Store) resolve(ref string) (string, error) {
	if isFullID(ref) {
		return ref, nil
	}
	c, err := s.get(ref)
	if err != nil {
		return "", err
	}
	return c.ID, nil
}
