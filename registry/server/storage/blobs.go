package storage

import (
	"fmt"
	"os"
	"time"

	"github.com/opencontainers/go-digest"
)

// OpenBlob opens blob d as served by repo. A blob stored for another
// repository only is unknown here: repositories do not see each other's
// content unless it was pushed or mounted into them.
func (s *Store) OpenBlob(repo string, d digest.Digest) (*os.File, os.FileInfo, error) {
	if _, err := os.Stat(s.layerLink(repo, d)); err != nil {
		return nil, nil, fmt.Errorf("blob %s in %s: %w", d, repo, ErrBlobUnknown)
	}
	f, err := os.Open(s.blobPath(d))
	if err != nil {
		return nil, nil, fmt.Errorf("blob %s in %s: %w", d, repo, ErrBlobUnknown)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return f, fi, nil
}

// StatBlob returns the size of blob d in repo. It also refreshes an old
// blob's modification time: a client that sees the blob exists will skip
// uploading it and reference it from its next manifest, so gc must not take
// it away in between.
func (s *Store) StatBlob(repo string, d digest.Digest) (int64, error) {
	if _, err := os.Stat(s.layerLink(repo, d)); err != nil {
		return 0, fmt.Errorf("blob %s in %s: %w", d, repo, ErrBlobUnknown)
	}
	fi, err := os.Stat(s.blobPath(d))
	if err != nil {
		return 0, fmt.Errorf("blob %s in %s: %w", d, repo, ErrBlobUnknown)
	}
	if time.Since(fi.ModTime()) > refreshAfter {
		_ = touch(s.blobPath(d))
	}
	return fi.Size(), nil
}

// refreshAfter is how stale a blob's mtime may get before an access refreshes
// it. gc's grace period must be longer than this.
const refreshAfter = time.Minute

// DeleteBlob unlinks blob d from repo. The content itself stays until gc
// finds no repository references it.
func (s *Store) DeleteBlob(repo string, d digest.Digest) error {
	if err := os.Remove(s.layerLink(repo, d)); err != nil {
		if isNotExist(err) {
			return fmt.Errorf("blob %s in %s: %w", d, repo, ErrBlobUnknown)
		}
		return fmt.Errorf("deleting blob %s in %s: %w", d, repo, err)
	}
	return nil
}

// BlobExists reports whether the content of d is stored at all, in any
// repository.
func (s *Store) BlobExists(d digest.Digest) bool {
	_, err := os.Stat(s.blobPath(d))
	return err == nil
}

// BlobLinked reports whether repo serves blob d.
func (s *Store) BlobLinked(repo string, d digest.Digest) bool {
	_, err := os.Stat(s.layerLink(repo, d))
	return err == nil && s.BlobExists(d)
}

// MountBlob makes stored blob d available in repo (cross-repository mount).
// The caller checks the client may read the source repository.
func (s *Store) MountBlob(repo string, d digest.Digest) error {
	if err := touch(s.blobPath(d)); err != nil {
		return fmt.Errorf("mounting blob %s into %s: %w", d, repo, ErrBlobUnknown)
	}
	return s.linkBlob(repo, d)
}

func (s *Store) linkBlob(repo string, d digest.Digest) error {
	if err := writeFileAtomic(s.layerLink(repo, d), nil); err != nil {
		return fmt.Errorf("linking blob %s into %s: %w", d, repo, err)
	}
	return nil
}
