package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// root is an open rootfs. Every path under it is resolved from the
// descriptor with RESOLVE_IN_ROOT semantics: ".." and absolute symlinks stop
// at the rootfs, so the image cannot point a mount target at the host.
type root struct {
	path string // real host path, for messages and lexical joins only
	dir  *os.File
}

func openRoot(path string) (*root, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(real, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &root{path: real, dir: f}, nil
}

func (r *root) Close() error { return r.dir.Close() }

// open returns an O_PATH handle to path inside the root, following symlinks
// only within it and never through /proc magic links.
func (r *root) open(path string) (*os.File, error) {
	f, err := pathrs.OpenatInRoot(r.dir, path)
	if err != nil {
		return nil, &os.PathError{Op: "open in root", Path: path, Err: unwrapPathErr(err)}
	}
	return f, nil
}

// mkdirAll creates path (and its parents) inside the root and returns an
// O_PATH handle to it.
func (r *root) mkdirAll(path string, mode os.FileMode) (*os.File, error) {
	f, err := pathrs.MkdirAllHandle(r.dir, r.resolve(path), mode)
	if err != nil {
		return nil, &os.PathError{Op: "mkdir in root", Path: path, Err: unwrapPathErr(err)}
	}
	return f, nil
}

// resolve follows path's symlinks lexically inside the root and returns the
// result relative to it. A dangling symlink such as /etc/resolv.conf ->
// /run/resolv.conf thus names the file to create inside the rootfs. The
// result is only ever used again through the root descriptor, so a race
// that changes the tree after this lookup cannot escape.
func (r *root) resolve(path string) string {
	joined, err := securejoin.SecureJoin(r.path, path)
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(r.path, joined)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return "/" + rel
}

// target opens a mount target inside the root, creating it when missing:
// a directory, or an empty file when dir is false (a file bind mount).
func (r *root) target(path string, dir bool) (*os.File, error) {
	f, err := r.open(path)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		return f, err
	}
	if dir {
		return r.mkdirAll(path, 0o755)
	}
	return r.createFile(path)
}

// createFile creates an empty file at path inside the root (parents too)
// and returns an O_PATH handle to it. The file is made with O_EXCL|O_NOFOLLOW
// from its parent's descriptor, so a symlink raced in is never followed.
func (r *root) createFile(path string) (*os.File, error) {
	resolved := r.resolve(path)
	parent, err := r.mkdirAll(filepath.Dir(resolved), 0o755)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	return createAt(parent, filepath.Base(resolved), path)
}

// createAt makes an empty regular file name in dir and opens it O_PATH.
func createAt(dir *os.File, name, display string) (*os.File, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, &os.PathError{Op: "create in root", Path: display, Err: err}
	}
	unix.Close(fd)
	return openAtNoFollow(dir, name, display)
}

// openAtNoFollow opens name in dir as an O_PATH handle without following a
// final symlink.
func openAtNoFollow(dir *os.File, name, display string) (*os.File, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open in root", Path: display, Err: err}
	}
	return os.NewFile(uintptr(fd), display), nil
}

// openStrict opens path below dirfd as an O_PATH handle refusing every
// symlink, magic link and ".." escape: for the files whose identity matters
// (/dev/null, /dev/console), where no symlink is legitimate.
func openStrict(dirfd int, path string) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := unix.Openat2(dirfd, path, &how)
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// unwrapPathErr strips pathrs' own *os.PathError so ours names the
// container path, keeping the errno for errors.Is.
func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fileType returns the S_IFMT type and rdev of an open handle.
func fileType(f *os.File) (uint32, uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, 0, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	return st.Mode & unix.S_IFMT, st.Rdev, nil
}

// inside reports whether a cleaned absolute container path is dir or below it.
func inside(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// cleanDest makes a spec destination absolute and clean.
func cleanDest(dest string) (string, error) {
	if dest == "" {
		return "", fmt.Errorf("destination: empty")
	}
	return filepath.Clean("/" + dest), nil
}

// threadMounts reads this thread's mount table. /proc/self would be the
// thread-group leader's, which need not share our mount namespace.
func threadMounts(filter mountinfo.FilterFunc) ([]*mountinfo.Info, error) {
	f, err := os.Open("/proc/thread-self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mounts, err := mountinfo.GetMountsFromReader(f, filter)
	if err != nil {
		return nil, fmt.Errorf("reading mountinfo: %w", err)
	}
	return mounts, nil
}
