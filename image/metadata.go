package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/onggi/onggi/image/internal/diskfile"
	digest "github.com/opencontainers/go-digest"
)

// db is images.json: the whole name and image table, rewritten atomically
// under metadata.lock on every change. Images number in the hundreds, so a
// single small file beats a database: readers never lock, a crash leaves
// the old or the new table.
type db struct {
	Version int                      `json:"version"`
	Images  map[digest.Digest]record `json:"images"`
	Names   map[string]digest.Digest `json:"names"` // full reference → image ID
}

// record is what the store keeps per image beyond its blobs.
type record struct {
	Manifest digest.Digest `json:"manifest"`
	Index    digest.Digest `json:"index,omitempty"` // index the manifest was picked from
	Added    time.Time     `json:"added"`
}

func (s *Store) dbPath() string { return filepath.Join(s.root, "images.json") }

func (s *Store) readDB() (*db, error) {
	d := &db{Version: 1, Images: map[digest.Digest]record{}, Names: map[string]digest.Digest{}}
	b, err := os.ReadFile(s.dbPath())
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading image metadata: %w", err)
	}
	if err := json.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("reading image metadata %s: %w", s.dbPath(), err)
	}
	if d.Images == nil {
		d.Images = map[digest.Digest]record{}
	}
	if d.Names == nil {
		d.Names = map[string]digest.Digest{}
	}
	return d, nil
}

// update runs fn on the current table under the metadata lock and saves
// the result when fn succeeds.
func (s *Store) update(ctx context.Context, fn func(*db) error) error {
	l, err := diskfile.Acquire(ctx, filepath.Join(s.root, "metadata.lock"), false)
	if err != nil {
		return err
	}
	defer l.Unlock()
	d, err := s.readDB()
	if err != nil {
		return err
	}
	if err := fn(d); err != nil {
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding image metadata: %w", err)
	}
	return diskfile.WriteAtomic(s.dbPath(), b, 0o600)
}

// namesOf lists the names pointing at id.
func (d *db) namesOf(id digest.Digest) []string {
	var out []string
	for n, i := range d.Names {
		if i == id {
			out = append(out, n)
		}
	}
	return out
}
