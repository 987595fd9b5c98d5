package container

import (
	"os"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames old to new and fails with os.ErrExist when new
// exists; plain rename(2) would silently replace an empty directory.
func renameNoReplace(oldPath, newPath string) error {
	err := unix.Renameat2(unix.AT_FDCWD, oldPath, unix.AT_FDCWD, newPath, unix.RENAME_NOREPLACE)
	if err != nil {
		return &os.LinkError{Op: "renameat2", Old: oldPath, New: newPath, Err: err}
	}
	return nil
}
