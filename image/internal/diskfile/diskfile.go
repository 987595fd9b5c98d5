// Package diskfile holds the two disk disciplines every image/ store relies
// on: cross-process locks (flock(2) on a lock file, released by the kernel
// when a process dies, so kill -9 never leaves a stale lock) and atomic file
// replacement (temp → fsync → rename → fsync dir, so a reader sees either the
// old or the new content, never a torn file).
package diskfile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// Unlock releases the lock. It is safe on a nil Lock.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	_ = unlock(l.f)
	_ = l.f.Close()
	l.f = nil
}

// Acquire takes an exclusive (or, with shared, a shared) lock on path,
// creating the file, and waits until ctx is done.
func Acquire(ctx context.Context, path string, shared bool) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	delay := time.Millisecond
	for {
		ok, err := tryLock(f, shared)
		if err != nil {
			f.Close()
			return nil, &os.PathError{Op: "flock", Path: path, Err: err}
		}
		if ok {
			return &Lock{f: f}, nil
		}
		// Polling rather than a blocking flock keeps ctx cancellation
		// working; contention is rare and short.
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(delay):
		}
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

// TryAcquire is Acquire without waiting: it returns (nil, nil) when the
// lock is held elsewhere.
func TryAcquire(path string, shared bool) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	ok, err := tryLock(f, shared)
	if err != nil || !ok {
		f.Close()
		if err != nil {
			return nil, &os.PathError{Op: "flock", Path: path, Err: err}
		}
		return nil, nil
	}
	return &Lock{f: f}, nil
}

// WriteAtomic replaces path with data: a reader (or a process started after
// a crash) sees the old or the new file, never a mix.
func WriteAtomic(path string, data []byte, perm os.FileMode) (retErr error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if retErr != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming into %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so a rename inside it survives a power cut.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing dir %s: %w", dir, err)
	}
	return nil
}
