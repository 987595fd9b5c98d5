package jsonlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/fsnotify/fsnotify"
)

// follow reads cur as it grows, moving on to the newer files when the
// writer rotates, until ctx ends, an entry passes Until, or o.Done is
// closed and everything written before has been read.
func (r *reader) follow(ctx context.Context, path string, cur *cursor, w *fsnotify.Watcher) error {
	defer func() { cur.f.Close() }()
	done := r.o.Done
	doneSeen := false
	for {
		if err := r.drain(cur); err != nil || r.stop {
			return err
		}
		newer, err := rotatedAway(path, cur)
		if err != nil {
			return err
		}
		if len(newer) > 0 {
			if cur, err = r.moveOn(cur, newer); err != nil || r.stop {
				return err
			}
			continue
		}
		if truncated(cur) {
			// One file (maxFiles 1) rotates by truncation: start over.
			if _, err := cur.f.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("reading log %s: %w", path, err)
			}
			cur.off, cur.pending = 0, cur.pending[:0]
			continue
		}
		if doneSeen {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			// Read once more: the last writes may have raced the close.
			doneSeen, done = true, nil
		case _, ok := <-w.Events:
			if !ok {
				return nil
			}
			drainEvents(w)
		case err := <-w.Errors:
			return fmt.Errorf("following log %s: %w", path, err)
		}
	}
}

// moveOn finishes cur, which was rotated (what was written to it before
// the rename, after the last drain, is read now), reads the complete
// newer files and returns a cursor on the newest, the one being written.
func (r *reader) moveOn(cur *cursor, newer []*os.File) (*cursor, error) {
	last := newer[len(newer)-1]
	if err := r.drain(cur); err != nil || r.stop {
		closeAll(newer)
		return cur, err
	}
	for _, f := range newer[:len(newer)-1] {
		err := r.drain(&cursor{f: f})
		f.Close()
		if err != nil || r.stop {
			last.Close()
			return cur, err
		}
	}
	cur.f.Close()
	return &cursor{f: last}, nil
}

// drainEvents drops queued events: one read pass covers them all.
func drainEvents(w *fsnotify.Watcher) {
	for {
		select {
		case <-w.Events:
		default:
			return
		}
	}
}

// rotatedAway returns the files newer than cur, oldest first, when path
// no longer names cur (the writer rotated it); nil otherwise. Several
// rotations may have happened since cur was opened: the set is searched
// for cur, and everything after it is new.
func rotatedAway(path string, cur *cursor) ([]*os.File, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // between rename and create: the create event follows
	}
	if err != nil {
		return nil, fmt.Errorf("following log: %w", err)
	}
	if ci, err := cur.f.Stat(); err == nil && os.SameFile(ci, fi) {
		return nil, nil
	}
	set, err := openSet(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // rotating again: the create event follows
	}
	if err != nil {
		return nil, err
	}
	dev, ino, _ := inode(cur.f)
	for i, f := range set {
		if d, n, ok := inode(f); ok && d == dev && n == ino {
			closeAll(set[:i+1])
			return set[i+1:], nil
		}
	}
	// cur was rotated out of the set altogether: all of it is newer.
	return set, nil
}

func truncated(c *cursor) bool {
	fi, err := c.f.Stat()
	return err == nil && fi.Size() < c.off
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
