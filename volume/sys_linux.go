package volume

import (
	"io/fs"
	"os"
	"syscall"

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

// hardLinkKey identifies a file with more than one link, so sizes count
// it once.
func hardLinkKey(fi fs.FileInfo) ([2]uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Nlink < 2 {
		return [2]uint64{}, false
	}
	return [2]uint64{st.Dev, st.Ino}, true
}
