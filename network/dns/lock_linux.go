package dns

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// errLocked is a lock another process holds (flock with LOCK_NB).
var errLocked = errors.New("locked")

// flockFile opens (creating) path and takes an exclusive flock on it. The
// lock lives as long as the returned file stays open, and dies with its
// holder, so a crashed responder never leaves a stale "running" behind.
func flockFile(path string, block bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock(f, block); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func flock(f *os.File, block bool) error {
	how := unix.LOCK_EX
	if !block {
		how |= unix.LOCK_NB
	}
	for {
		err := unix.Flock(int(f.Fd()), how)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return errLocked
		default:
			return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
		}
	}
}

// holder reports whether a process holds the pidfile's lock and, if it has
// written it yet, its pid (0 while it is still starting).
func holder(path string) (pid int, held bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	switch err := flock(f, false); {
	case err == nil:
		return 0, false, nil // closing f drops the lock we just took
	case !errors.Is(err, errLocked):
		return 0, false, err
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, true, err
	}
	pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	return pid, true, nil
}

// removeOwned unlinks path if it is still the file f is open on: only the
// lock holder removes its pidfile, and never one a successor created.
func removeOwned(f *os.File, path string) {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	if err1 == nil && err2 == nil && os.SameFile(a, b) {
		os.Remove(path)
	}
}
