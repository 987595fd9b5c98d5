package network

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/internal/flock"
)

// Store keeps network records as <dir>/<id>.json. Reads take no lock:
// every write replaces a file by rename, so a reader sees the old or the
// new record, never half of one. Create, Remove and EnsurePredefined
// hold <dir>/.lock so that names stay unique across processes.
type Store struct {
	dir string
}

// Open returns the store under dir, creating dir if needed.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, locksDir), 0o700); err != nil {
		return nil, fmt.Errorf("opening network store: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir is the directory the store keeps its records in.
func (s *Store) Dir() string { return s.dir }

// Create validates n's name, assigns n.ID (and n.Created when zero) and
// stores n. An empty Driver is "bridge"; a bridge network without Bridge
// gets Options[OptBridgeName] or else UserBridgeName(n.ID). A name in use
// is ErrExists with docker's message; a reserved name (bridge, host,
// none, default) is ErrInvalid; a bridge interface or a subnet another
// network already has is ErrConflict (checked under the store's lock, so
// concurrent creates cannot both take one subnet of this root; subnets
// of other roots are the caller's, under SubnetLock).
func (s *Store) Create(n *Network) error {
	if IsPredefinedName(n.Name) {
		return errdefs.Errorf(errdefs.ErrInvalid, "operation is not permitted on predefined %s network", n.Name)
	}
	if err := ValidateName(n.Name); err != nil {
		return err
	}
	unlock, err := s.lockDir()
	if err != nil {
		return err
	}
	defer unlock()
	return s.create(n)
}

// Get finds a network by full id, name or unique id prefix, in docker's
// order. No match is ErrNotFound ("network X not found"); a prefix of
// several ids is ErrInvalid ("network X is ambiguous").
func (s *Store) Get(ref string) (*Network, error) { return s.get(ref) }

// List returns every network, sorted by name.
func (s *Store) List() ([]*Network, error) { return s.list() }

// Update applies fn to the stored record of network ref and writes the
// result; fn returning an error leaves the record unchanged. Callers
// serialise updates with Lock. ID and Name cannot be changed.
func (s *Store) Update(ref string, fn func(*Network) error) (*Network, error) {
	return s.update(ref, fn)
}

// Remove deletes network ref (id, name or unique prefix). Predefined
// networks cannot be removed (ErrConflict, docker's "bridge is a
// pre-defined network and cannot be removed"). Callers may hold the
// network's Lock while removing: Remove does not take it.
func (s *Store) Remove(ref string) error {
	unlock, err := s.lockDir()
	if err != nil {
		return err
	}
	defer unlock()
	return s.remove(ref)
}

// Lock serialises changes to one network (attach, detach, remove) across
// processes. It locks a file named for the id, so it works on a network
// being removed too; the caller checks the record still exists.
func (s *Store) Lock(id string) (unlock func(), err error) {
	if !validID(id) {
		return nil, notFound(id)
	}
	return lockFile(filepath.Join(s.dir, locksDir, id))
}

func notFound(ref string) error {
	return errdefs.Errorf(errdefs.ErrNotFound, "network %s not found", ref)
}

// lockFile flocks path, creating it. Remove deletes lock files, so after
// getting the lock we check the path still names the file we locked;
// otherwise we locked an orphan and try again.
func lockFile(path string) (func(), error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", filepath.Base(path), err)
		}
		if err := flock.Lock(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", filepath.Base(path), err)
		}
		fi, err1 := f.Stat()
		cur, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(fi, cur) {
			return func() { f.Close() }, nil
		}
		f.Close()
		if err2 != nil && !errors.Is(err2, os.ErrNotExist) {
			return nil, fmt.Errorf("locking %s: %w", filepath.Base(path), err2)
		}
	}
}
