package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/internal/flock"
)

// sweepAge is how old a .tmp-/.removing- directory must be before List
// deletes it: older than any create or remove still in progress.
const sweepAge = 10 * time.Minute

// get resolves ref in docker's order: full id, name, unique id prefix.
// The first two are single file reads; only a prefix lists the directory.
func (s *Store) get(ref string) (*Container, error) {
	if isFullID(ref) {
		c, err := s.read(ref)
		if err == nil || !errors.Is(err, errdefs.ErrNotFound) {
			return c, err
		}
	}
	if name := strings.TrimPrefix(ref, "/"); validName(name) {
		if id := s.nameOwner(name); isFullID(id) {
			if c, err := s.read(id); err == nil && c.Name == name {
				return c, nil
			}
		}
	}
	if ref == "" || !isHex(ref) {
		return nil, notFound(ref)
	}
	return s.getPrefix(ref)
}

func (s *Store) getPrefix(prefix string) (*Container, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	var match string
	for _, e := range entries {
		if !isFullID(e.Name()) || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if match != "" {
			return nil, classed(errdefs.ErrInvalid, "Multiple IDs found with provided prefix: %s", prefix)
		}
		match = e.Name()
	}
	if match == "" {
		return nil, notFound(prefix)
	}
	c, err := s.read(match)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, notFound(prefix)
	}
	return c, err
}

// list reads every record, newest first. Records removed meanwhile or
// unreadable are skipped: one bad record must not hide the others.
func (s *Store) list() ([]*Container, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	var out []*Container
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".tmp-") || strings.HasPrefix(name, ".removing-") {
			sweep(filepath.Join(s.dir, name), e)
			continue
		}
		if !isFullID(name) {
			continue
		}
		if c, err := s.read(name); err == nil {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// sweep deletes a leftover of a create or remove killed midway.
func sweep(path string, e fs.DirEntry) {
	if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > sweepAge {
		os.RemoveAll(path)
	}
}

func (s *Store) update(ref string, fn func(*Container) error) (*Container, error) {
	id, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	return s.updateRecord(id, func(c *Container) error {
		name := c.Name
		if err := fn(c); err != nil {
			return err
		}
		if c.ID != id || c.Name != name {
			return fmt.Errorf("container %s: update may not change the id or name (use Rename): %w", id, errdefs.ErrInvalid)
		}
		return nil
	})
}

func (s *Store) lock(ref string) (func(), error) {
	id, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(s.Dir(id), lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(ref)
	}
	if err != nil {
		return nil, fmt.Errorf("locking container %s: %w", id, err)
	}
	if err := flock.Lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking container %s: %w", id, err)
	}
	// The record may have been removed while we waited.
	if _, err := os.Stat(filepath.Join(s.Dir(id), recordFile)); err != nil {
		f.Close()
		return nil, notFound(ref)
	}
	return func() { f.Close() }, nil
}
