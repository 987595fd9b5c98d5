package content

import (
	"context"
	_ "crypto/sha256" // go-digest hashes only with algorithms the binary links in
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/onggi/onggi/image/errdefs"
	"github.com/onggi/onggi/image/internal/diskfile"
	digest "github.com/opencontainers/go-digest"
)

// Store is a blob store rooted at one directory. It is safe for concurrent
// use by goroutines and by processes sharing the root.
type Store struct {
	root string
}

// Info describes a stored blob.
type Info struct {
	Digest  digest.Digest
	Size    int64
	ModTime time.Time
}

// Open returns the store under root, creating its directories.
func Open(root string) (*Store, error) {
	for _, d := range []string{filepath.Join(root, "blobs", "sha256"), filepath.Join(root, "ingest")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("creating content store %s: %w", root, err)
		}
	}
	return &Store{root: root}, nil
}

// Root is the directory the store lives in.
func (s *Store) Root() string { return s.root }

// Path is the file holding blob d (it may not exist). Reading it directly
// is fine (e.g. to sendfile it into an archive); never write to it.
func (s *Store) Path(d digest.Digest) (string, error) {
	if err := validate(d); err != nil {
		return "", err
	}
	return filepath.Join(s.root, "blobs", d.Algorithm().String(), d.Encoded()), nil
}

func validate(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("digest %q: %w: %v", d, errdefs.ErrInvalid, err)
	}
	if d.Algorithm() != digest.SHA256 {
		return fmt.Errorf("digest %q: %w: only sha256 is supported", d, errdefs.ErrInvalid)
	}
	return nil
}

// Info stats blob d; a missing blob is errdefs.ErrNotFound.
func (s *Store) Info(d digest.Digest) (Info, error) {
	p, err := s.Path(d)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Info{}, fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
		}
		return Info{}, fmt.Errorf("blob %s: %w", d, err)
	}
	return Info{Digest: d, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Has reports whether blob d is stored.
func (s *Store) Has(d digest.Digest) bool {
	_, err := s.Info(d)
	return err == nil
}

// Open opens blob d for reading (the *os.File is an io.ReaderAt and
// io.Seeker too).
func (s *Store) Open(d digest.Digest) (*os.File, error) {
	p, err := s.Path(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
		}
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return f, nil
}

// ReadAll reads a small blob (manifest, config, index) whole, refusing one
// larger than max bytes (max <= 0 means 64 MiB) with errdefs.ErrInvalid.
func (s *Store) ReadAll(d digest.Digest, max int64) ([]byte, error) {
	if max <= 0 {
		max = 64 << 20
	}
	f, err := s.Open(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", d, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("blob %s: %w: larger than %d bytes", d, errdefs.ErrInvalid, max)
	}
	return b, nil
}

// Delete removes blob d; a missing blob is errdefs.ErrNotFound.
func (s *Store) Delete(d digest.Digest) error {
	p, err := s.Path(d)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
		}
		return fmt.Errorf("deleting blob %s: %w", d, err)
	}
	return nil
}

// Walk calls fn for every stored blob, in no particular order. Files that
// are not valid blob names are skipped.
func (s *Store) Walk(fn func(Info) error) error {
	dir := filepath.Join(s.root, "blobs", "sha256")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("listing blobs: %w", err)
	}
	for _, e := range ents {
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if d.Validate() != nil || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if err := fn(Info{Digest: d, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// Lease holds off garbage collection (of this store and, by convention, of
// the metadata built on it) until the returned lock is released. Take one
// around "write blobs, then reference them".
func (s *Store) Lease(ctx context.Context) (*diskfile.Lock, error) {
	return diskfile.Acquire(ctx, filepath.Join(s.root, "gc.lock"), true)
}

// LockGC takes the collection lock exclusively: no writer or lease is
// active while it is held. It must not be called while the same process
// holds a Lease (flock would wait on itself).
func (s *Store) LockGC(ctx context.Context) (*diskfile.Lock, error) {
	return diskfile.Acquire(ctx, filepath.Join(s.root, "gc.lock"), false)
}

// TryLockGC is LockGC without waiting: (nil, nil) when a lease is held.
func (s *Store) TryLockGC() (*diskfile.Lock, error) {
	return diskfile.TryAcquire(filepath.Join(s.root, "gc.lock"), false)
}

// CleanIngest removes every leftover temp file of interrupted writes. The
// caller must hold LockGC, which guarantees no write is in flight.
func (s *Store) CleanIngest() (removed int, err error) {
	dir := filepath.Join(s.root, "ingest")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("listing ingest dir: %w", err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return removed, fmt.Errorf("removing ingest file %s: %w", e.Name(), err)
		}
		removed++
	}
	return removed, nil
}
