package runtime

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// openSelfExe returns a file the container init and exec helpers are
// executed from, which the container cannot write through /proc/<pid>/exe
// (CVE-2019-5736: a container that reopens the runtime's executable for
// writing replaces the host binary).
//
// The cheap way is a detached read-only bind mount of the binary: the file
// is reached through a mount that belongs to no namespace and refuses
// writes (EROFS), and no byte is copied (open_tree + mount_setattr, Linux
// 5.12). Where that is refused, the binary is copied into a sealed memfd,
// as runc does.
func openSelfExe(path string) (*os.File, error) {
	if f, err := roBindExe(path); err == nil {
		return f, nil
	}
	return memfdExe(path)
}

func roBindExe(path string) (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, &os.PathError{Op: "open_tree", Path: path, Err: err}
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "mount_setattr", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), "onggi-exe"), nil
}

func memfdExe(path string) (*os.File, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("copying the runtime binary: %w", err)
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("onggi-exe", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if err != nil {
		fd, err = unix.MemfdCreate("onggi-exe", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, &os.SyscallError{Syscall: "memfd_create", Err: err}
	}
	f := os.NewFile(uintptr(fd), "onggi-exe")
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("copying the runtime binary: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, &os.SyscallError{Syscall: "fcntl(F_ADD_SEALS)", Err: err}
	}
	return f, nil
}
