package jsonlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/fsnotify/fsnotify"
	"github.com/onggi/onggi/errdefs"
	"golang.org/x/sys/unix"
)

// cursor is one open log file being read.
type cursor struct {
	f       *os.File
	off     int64  // bytes consumed from f
	pending []byte // an incomplete last line (the writer is mid-write)
}

// reader applies the options to the entries it decodes.
type reader struct {
	o    ReadOptions
	fn   func(Entry) error
	buf  []byte
	stop bool // an entry after Until was seen
}

func read(ctx context.Context, path string, o ReadOptions, fn func(Entry) error) error {
	var w *fsnotify.Watcher
	if o.Follow {
		// Before the first read: a write between reading to the end and
		// watching would otherwise be missed.
		var err error
		if w, err = watchDir(path); err != nil {
			return err
		}
		defer w.Close()
	}
	files, err := openSet(path)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	idx, off, err := tailStart(files, o.Tail)
	if err != nil {
		return err
	}
	r := &reader{o: o, fn: fn, buf: make([]byte, 64*1024)}
	cs := make([]*cursor, 0, len(files)-idx)
	for i, f := range files[idx:] {
		c := &cursor{f: f}
		if i == 0 && off > 0 {
			if _, err := f.Seek(off, io.SeekStart); err != nil {
				return fmt.Errorf("reading log %s: %w", path, err)
			}
			c.off = off
		}
		cs = append(cs, c)
	}
	for _, c := range cs[:len(cs)-1] {
		if err := r.drain(c); err != nil || r.stop {
			return err
		}
	}
	cur := cs[len(cs)-1]
	if !o.Follow {
		return r.drain(cur)
	}
	return r.follow(ctx, path, cur, w)
}

func watchDir(path string) (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("following log %s: %w", path, err)
	}
	// The directory, not the file: it also reports the rename and the
	// creation of a rotation, and writes to the files in it.
	if err := w.Add(filepath.Dir(path)); err != nil {
		w.Close()
		return nil, fmt.Errorf("following log %s: %w", path, err)
	}
	return w, nil
}

// openSet opens the rotated files and the current one, oldest first. It
// holds a shared flock on the current file meanwhile, which rotation takes
// exclusively, so the set is never seen halfway rotated.
func openSet(path string) ([]*os.File, error) {
	for range 100 {
		cur, err := os.Open(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("log %s: %w: %w", path, errdefs.ErrNotFound, err)
			}
			return nil, fmt.Errorf("opening log: %w", err)
		}
		if err := unix.Flock(int(cur.Fd()), unix.LOCK_SH); err != nil {
			cur.Close()
			return nil, fmt.Errorf("locking log %s: %w", path, err)
		}
		if !isPath(cur, path) { // rotated between open and flock
			cur.Close()
			continue
		}
		files, err := openRotated(path)
		_ = unix.Flock(int(cur.Fd()), unix.LOCK_UN)
		if err != nil {
			cur.Close()
			return nil, err
		}
		return append(files, cur), nil
	}
	return nil, fmt.Errorf("opening log %s: rotating too fast", path)
}

// openRotated opens path.1, path.2, … while they exist, oldest first.
func openRotated(path string) ([]*os.File, error) {
	var files []*os.File
	for i := 1; ; i++ {
		f, err := os.Open(rotated(path, i))
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			return nil, fmt.Errorf("opening log: %w", err)
		}
		files = append([]*os.File{f}, files...)
	}
	return files, nil
}

// isPath reports whether f is the file path names now.
func isPath(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// drain reads c to its end, passing every complete line on.
func (r *reader) drain(c *cursor) error {
	for !r.stop {
		n, err := c.f.Read(r.buf)
		if n > 0 {
			c.off += int64(n)
			c.pending = append(c.pending, r.buf[:n]...)
			if err := r.lines(c); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading log: %w", err)
		}
	}
	return nil
}

// lines decodes the complete lines of c.pending and keeps the rest.
func (r *reader) lines(c *cursor) error {
	p := c.pending
	for !r.stop {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			break
		}
		line := p[:i]
		p = p[i+1:]
		if len(line) == 0 {
			continue
		}
		e, err := decodeEntry(line)
		if err != nil {
			// A line torn by a crash mid-write: skip it, as docker does
			// not stop a whole `logs` for one bad line either.
			continue
		}
		if err := r.emit(e); err != nil {
			return err
		}
	}
	c.pending = append(c.pending[:0], p...)
	return nil
}

func (r *reader) emit(e Entry) error {
	if !r.o.Since.IsZero() && e.Time.Before(r.o.Since) {
		return nil
	}
	if !r.o.Until.IsZero() && e.Time.After(r.o.Until) {
		r.stop = true
		return nil
	}
	return r.fn(e)
}

// inode identifies a file across renames.
func inode(f *os.File) (uint64, uint64, bool) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return uint64(st.Dev), st.Ino, true
}
