package volume

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

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

// hardLinkKey identifies a file with more than one link, so sizes count
// it once.
func hardLinkKey(fi fs.FileInfo) ([2]uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Nlink < 2 {
		return [2]uint64{}, false
	}
	return [2]uint64{st.Dev, st.Ino}, true
}
