package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Store keeps container records under one directory (<root>/containers):
//
//	<id>/container.json   the record, replaced atomically (temp + rename)
//	<id>/lock             flock for the record's read-modify-write
//	names/<name>          a file holding the id; created O_EXCL, so two
//	                      creates of one name cannot both win
type Store struct {
	dir string
}

// Open returns the store rooted at dir, creating it.
func Open(dir string) (*Store, error) { return openStore(dir) }

// Dir is the per-container directory (logs, hostname, hosts, resolv.conf).
func (s *Store) Dir(id string) string { return s.dir + "/" + id }

// Create writes a new record. An empty ID is generated (64 hex digits); an
// empty Name gets a docker-style random name. A name in use fails with
// errdefs.ErrExists (docker: "Conflict. The container name "/x" is already
// in use by container …").
func (s *Store) Create(c *Container) error { return s.create(c) }

// Get finds a container by full id, unique id prefix, or name. Unknown:
// errdefs.ErrNotFound ("No such container: x"); an ambiguous prefix:
// errdefs.ErrInvalid.
func (s *Store) Get(ref string) (*Container, error) { return s.get(ref) }

// List returns every record, newest first.
func (s *Store) List() ([]*Container, error) { return s.list() }

// Update reads the record under its lock, calls fn, and writes the result
// atomically if fn returns nil. It returns the record as written. fn may
// not change ID or Name (errdefs.ErrInvalid; use Rename). Like Lock,
// Rename and Remove it accepts any reference Get does.
func (s *Store) Update(id string, fn func(*Container) error) (*Container, error) {
	return s.update(id, fn)
}

// Lock takes the container's exclusive lock (for multi-step operations such
// as rm). It is a flock(2), owned by the open file, not the process: Update
// and Rename (which lock too) deadlock if called with it held, from any
// goroutine of the same process as from another process. The kernel
// drops it when the holder dies.
func (s *Store) Lock(id string) (unlock func(), err error) { return s.lock(id) }

// Rename changes a container's name atomically (errdefs.ErrExists if taken).
// It takes the container's lock itself.
func (s *Store) Rename(id, newName string) error { return s.rename(id, newName) }

// Remove deletes the record, its name and its directory. It does not take
// the container's lock: the caller holds it (Lock) across its checks.
func (s *Store) Remove(id string) error { return s.remove(id) }

// RemoveDeferred is Remove for a caller on a latency path (the monitor
// removing a `run --rm` container before it reports the exit): the record
// and the name are gone when it returns, as with Remove, and purge
// deletes the directory's files, set aside as .removing-…, possibly later
// in the background. A purge that never runs leaves a .removing- entry
// that List sweeps once it is old.
func (s *Store) RemoveDeferred(id string) (purge func() error, err error) {
	c, err := s.get(id)
	if err != nil {
		return nil, err
	}
	aside := filepath.Join(s.dir, ".removing-"+c.ID[:12]+"-"+generateID()[:8])
	if err := renameNoReplace(s.Dir(c.ID), aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound(id)
		}
		return nil, fmt.Errorf("removing container %s: %w", c.ID, err)
	}
	if err := s.unlinkName(c.Name, c.ID); err != nil {
		os.RemoveAll(aside)
		return nil, fmt.Errorf("removing container %s: freeing name %q: %w", c.ID, c.Name, err)
	}
	return func() error {
		if err := os.RemoveAll(aside); err != nil {
			return fmt.Errorf("removing container %s: %w", c.ID, err)
		}
		return nil
	}, nil
}
