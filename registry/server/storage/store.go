package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/opencontainers/go-digest"
)

// Store is a registry's content on the local filesystem. It is safe for
// concurrent use by many goroutines; several processes (a server and
// `registry gc`) may share one root.
type Store struct {
	root string

	mu    sync.Mutex
	locks map[string]*sync.Mutex // per-upload locks
}

// New opens (creating if needed) a store rooted at root.
func New(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("registry storage %q: %w", root, err)
	}
	for _, d := range []string{"blobs", "repositories", "uploads"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, fmt.Errorf("registry storage %q: %w", root, err)
		}
	}
	return &Store{root: abs, locks: map[string]*sync.Mutex{}}, nil
}

// Root returns the store's root directory.
func (s *Store) Root() string { return s.root }

func (s *Store) blobPath(d digest.Digest) string {
	enc := d.Encoded()
	return filepath.Join(s.root, "blobs", d.Algorithm().String(), enc[:2], enc)
}

func (s *Store) repoPath(repo string, elem ...string) string {
	return filepath.Join(append([]string{s.root, "repositories", filepath.FromSlash(repo)}, elem...)...)
}

func (s *Store) layerLink(repo string, d digest.Digest) string {
	return s.repoPath(repo, "_layers", d.Algorithm().String(), d.Encoded())
}

func (s *Store) revisionPath(repo string, d digest.Digest) string {
	return s.repoPath(repo, "_manifests", "revisions", d.Algorithm().String(), d.Encoded())
}

func (s *Store) tagPath(repo, tag string) string {
	return s.repoPath(repo, "_manifests", "tags", tag)
}

func (s *Store) referrerDir(repo string, subject digest.Digest) string {
	return s.repoPath(repo, "_referrers", subject.Algorithm().String(), subject.Encoded())
}

func (s *Store) uploadDir(id string) string { return filepath.Join(s.root, "uploads", id) }

// lock returns the in-process lock for key, creating it on first use.
func (s *Store) lock(key string) func() {
	s.mu.Lock()
	l, ok := s.locks[key]
	if !ok {
		l = &sync.Mutex{}
		s.locks[key] = l
	}
	s.mu.Unlock()
	l.Lock()
	return l.Unlock
}

func (s *Store) forget(key string) {
	s.mu.Lock()
	delete(s.locks, key)
	s.mu.Unlock()
}

// RepositoryExists reports whether repo has ever received content.
func (s *Store) RepositoryExists(repo string) bool {
	if ValidateName(repo) != nil {
		return false
	}
	return s.hasContent(s.repoPath(repo))
}
