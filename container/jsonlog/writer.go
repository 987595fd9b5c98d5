package jsonlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// maxLine is docker's split size: a longer line becomes partial entries of
// this many bytes (without newline), the last one carrying the newline.
const maxLine = 16 * 1024

// writer is the shared log file. The lock covers encoding, the size check,
// rotation and the write, so each entry is one write(2) in one file.
type writer struct {
	mu       sync.Mutex
	path     string
	maxSize  int64
	maxFiles int
	f        *os.File // nil once closed
	size     int64
	buf      []byte
	streams  []*stream
}

func open(path string, maxSize int64, maxFiles int) (*Writer, error) {
	if maxFiles < 1 {
		maxFiles = 1
	}
	f, err := openAppend(path, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("log %s: %w", path, err)
	}
	return &Writer{impl: &writer{path: path, maxSize: maxSize, maxFiles: maxFiles, f: f, size: fi.Size()}}, nil
}

func openAppend(path string, extra int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|extra, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening log: %w", err)
	}
	return f, nil
}

// write appends one entry, rotating first when it would not fit.
func (w *writer) write(name string, line []byte, t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("log %s: %w", w.path, os.ErrClosed)
	}
	w.buf = appendEntry(w.buf[:0], name, line, t)
	if w.maxSize > 0 && w.size > 0 && w.size+int64(len(w.buf)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(w.buf)
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("writing log %s: %w", w.path, err)
	}
	return nil
}

// rotate shifts path.(n-1) → path.n … path → path.1 and starts a new file;
// with one file it truncates instead. It holds an exclusive flock on the
// current file meanwhile: readers take a shared one while they open the
// set of files, so they never see it halfway rotated.
func (w *writer) rotate() error {
	old := w.f
	fd := int(old.Fd())
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		return fmt.Errorf("rotating log %s: %w", w.path, &os.SyscallError{Syscall: "flock", Err: err})
	}
	defer func() {
		_ = unix.Flock(fd, unix.LOCK_UN)
		if w.f != old {
			old.Close()
		}
	}()
	if w.maxFiles == 1 {
		if err := old.Truncate(0); err != nil {
			return fmt.Errorf("rotating log %s: %w", w.path, err)
		}
		w.size = 0
		return nil
	}
	for i := w.maxFiles - 1; i > 1; i-- {
		err := os.Rename(rotated(w.path, i-1), rotated(w.path, i))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotating log: %w", err)
		}
	}
	if err := os.Rename(w.path, rotated(w.path, 1)); err != nil {
		return fmt.Errorf("rotating log: %w", err)
	}
	f, err := openAppend(w.path, os.O_TRUNC)
	if err != nil {
		return err
	}
	w.f, w.size = f, 0
	return nil
}

// rotated names the i-th rotated file.
func rotated(path string, i int) string { return fmt.Sprintf("%s.%d", path, i) }

func (w *writer) stream(name string) io.WriteCloser {
	s := &stream{w: w, name: name}
	w.mu.Lock()
	w.streams = append(w.streams, s)
	w.mu.Unlock()
	return s
}

func (w *writer) close() error {
	w.mu.Lock()
	streams := w.streams
	w.mu.Unlock()
	var errs []error
	for _, s := range streams {
		errs = append(errs, s.Flush())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		errs = append(errs, w.f.Close())
		w.f = nil
	}
	return errors.Join(errs...)
}

// stream cuts one output stream into entries.
type stream struct {
	w    *writer
	name string
	mu   sync.Mutex // Write (the copier) against Flush (Writer.Close)
	buf  []byte     // the incomplete line
}

func (s *stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	done := 0
	for {
		rest := s.buf[done:]
		i := bytes.IndexByte(rest, '\n')
		var n int
		switch {
		case i >= 0 && i <= maxLine:
			n = i + 1
		case len(rest) > maxLine:
			n = maxLine // a partial entry, as docker splits long lines
		default:
			s.buf = append(s.buf[:0], rest...)
			return len(p), nil
		}
		if err := s.w.write(s.name, rest[:n], time.Now()); err != nil {
			s.buf = append(s.buf[:0], rest[n:]...)
			return len(p), err
		}
		done += n
	}
}

// Flush writes the incomplete line as a partial entry.
func (s *stream) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf) == 0 {
		return nil
	}
	err := s.w.write(s.name, s.buf, time.Now())
	s.buf = s.buf[:0]
	return err
}

func (s *stream) Close() error { return s.Flush() }
