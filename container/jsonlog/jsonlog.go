// Package jsonlog writes and reads container logs in docker's json-file
// format: one JSON object per line, {"log":"…\n","stream":"stdout","time":
// "2006-01-02T15:04:05.999999999Z"}, rotated by size (<path>, <path>.1, …,
// oldest last). The monitor writes; the engine reads (logs -f, --since,
// --until, --tail).
//
// It must not import engine, monitor, cli, api or compose.
package jsonlog

import (
	"context"
	"io"
	"time"
)

// Entry is one log line (or a partial line of at most 16 KiB, as docker
// splits long lines).
type Entry struct {
	Stream string    `json:"stream"` // "stdout" or "stderr"
	Log    []byte    `json:"-"`      // raw bytes, newline included when present
	Time   time.Time `json:"time"`
}

// Writer appends entries to a rotated json-file log. It is safe for
// concurrent use by the stdout and stderr copiers.
type Writer struct{ impl *writer }

// Open opens (appending) the log at path. maxSize 0 means unbounded; maxFiles
// is how many files are kept including the current one (min 1).
func Open(path string, maxSize int64, maxFiles int) (*Writer, error) {
	return open(path, maxSize, maxFiles)
}

// Stream returns an io.Writer that splits what is written into lines and
// appends one entry per line for the named stream ("stdout", "stderr").
// Flush (or Close) writes a trailing partial line.
func (w *Writer) Stream(name string) io.WriteCloser { return w.impl.stream(name) }

// Close flushes and closes the log.
func (w *Writer) Close() error { return w.impl.close() }

// ReadOptions select entries, as docker logs' flags.
type ReadOptions struct {
	Since, Until time.Time // zero: unbounded
	Tail         int       // < 0: all
	Follow       bool
	// Done, with Follow, ends following once it is closed and the log has
	// been read to its end (the container exited).
	Done <-chan struct{}
}

// Read calls fn for each selected entry, oldest first, across rotated files;
// with Follow it then waits for new entries (inotify, no polling), following
// renames by rotation, until ctx ends or Done is closed and drained.
func Read(ctx context.Context, path string, o ReadOptions, fn func(Entry) error) error {
	return read(ctx, path, o, fn)
}
