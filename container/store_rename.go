package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/errdefs"
)

// rename reserves the new name first (so a concurrent create of it
// fails), rewrites the record under its lock, then frees the old name. A
// crash midway leaves a name file whose record carries another name,
// which every reader treats as free.
func (s *Store) rename(ref, newName string) error {
	name, err := NormalizeName(newName)
	if err != nil {
		return err
	}
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	if c.Name == name {
		return classed(errdefs.ErrInvalid, "Renaming a container with the same name as its current name")
	}
	held, err := s.reserveName(name, c.ID)
	if err != nil {
		return err
	}
	var old string
	_, err = s.updateRecord(c.ID, func(c *Container) error {
		old, c.Name = c.Name, name
		return nil
	})
	if err != nil {
		s.dropName(name, held)
		return err
	}
	held.Close()
	if err := s.unlinkName(old, c.ID); err != nil {
		return fmt.Errorf("renaming container %s: freeing name %q: %w", c.ID, old, err)
	}
	return nil
}

// updateRecord is update without the name guard, for rename.
func (s *Store) updateRecord(id string, fn func(*Container) error) (*Container, error) {
	unlock, err := s.lock(id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	c, err := s.read(id)
	if err != nil {
		return nil, err
	}
	if err := fn(c); err != nil {
		return nil, err
	}
	if err := writeRecord(s.Dir(id), c); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound(id) // removed by a Remove that skipped Lock
		}
		return nil, fmt.Errorf("writing container %s: %w", id, err)
	}
	return c, nil
}

// remove first renames the directory aside (the record vanishes from
// every reader in one step), then frees the name, then deletes the files.
// It does not take the container's lock: callers hold it via Lock.
func (s *Store) remove(ref string) error {
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	aside := filepath.Join(s.dir, ".removing-"+c.ID[:12]+"-"+generateID()[:8])
	if err := renameNoReplace(s.Dir(c.ID), aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return notFound(ref)
		}
		return fmt.Errorf("removing container %s: %w", c.ID, err)
	}
	nameErr := s.unlinkName(c.Name, c.ID)
	if err := os.RemoveAll(aside); err != nil {
		return fmt.Errorf("removing container %s: %w", c.ID, err)
	}
	if nameErr != nil {
		return fmt.Errorf("removing container %s: freeing name %q: %w", c.ID, c.Name, nameErr)
	}
	return nil
}
