package container

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// flock takes an exclusive flock(2) on f, retrying on EINTR. flock locks
// belong to the open file description, so two opens in one process
// exclude each other like two processes do (goroutines are safe), and the
// kernel drops the lock when its holder dies (kill -9 leaves no stale lock).
func flock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			if err != nil {
				return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}

// renameNoReplace renames old to new and fails with os.ErrExist when new
// exists; plain rename(2) would silently replace an empty directory.
func renameNoReplace(oldPath, newPath string) error {
	err := unix.Renameat2(unix.AT_FDCWD, oldPath, unix.AT_FDCWD, newPath, unix.RENAME_NOREPLACE)
	if err != nil {
		return &os.LinkError{Op: "renameat2", Old: oldPath, New: newPath, Err: err}
	}
	return nil
}
