package volume

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/onggi/onggi/internal/testbundle"
	"golang.org/x/sys/unix"
)

// imageTree builds what an image would have at a mount point: owned by
// 1000:1000, odd modes, a setuid file, hard links, a FIFO, a device,
// symlinks pointing out of the tree and a symlinked directory whose
// target content must not be copied.
func imageTree(t *testing.T) (src, outside string) {
	t.Helper()
	base := t.TempDir()
	src, outside = filepath.Join(base, "rootfs", "srv"), filepath.Join(base, "outside")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "sub", "ro"), 0o755))
	must(os.MkdirAll(outside, 0o755))
	must(os.WriteFile(filepath.Join(outside, "secret"), []byte("host"), 0o600))
	must(os.WriteFile(filepath.Join(src, "file"), []byte("hello"), 0o640))
	must(os.WriteFile(filepath.Join(src, "sub", "suid"), []byte("#!"), 0o755))
	must(os.Chown(filepath.Join(src, "sub", "suid"), 1000, 1000))
	must(unix.Chmod(filepath.Join(src, "sub", "suid"), 0o4755))
	must(os.Link(filepath.Join(src, "file"), filepath.Join(src, "sub", "hard")))
	must(os.Symlink("/etc/passwd", filepath.Join(src, "abs")))
	must(os.Symlink("../../outside", filepath.Join(src, "escape")))
	must(unix.Mkfifo(filepath.Join(src, "fifo"), 0o620))
	must(unix.Mknod(filepath.Join(src, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(unix.Setxattr(filepath.Join(src, "file"), "user.note", []byte("kept"), 0))
	for _, p := range []string{"", "file", "sub", "sub/ro", "fifo"} {
		must(os.Chown(filepath.Join(src, p), 1000, 1000))
	}
	must(os.Lchown(filepath.Join(src, "abs"), 1001, 1001))
	must(unix.Chmod(filepath.Join(src, "fifo"), 0o620)) // despite umask
	must(unix.Chmod(filepath.Join(src, "null"), 0o666))
	must(os.Chmod(filepath.Join(src, "sub", "ro"), 0o555))
	must(os.Chmod(src, 0o750))
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	must(os.Chtimes(filepath.Join(src, "file"), old, old))
	must(os.Chtimes(filepath.Join(src, "sub"), old, old))
	must(unix.Lutimes(filepath.Join(src, "abs"), []unix.Timeval{unix.NsecToTimeval(old.UnixNano()), unix.NsecToTimeval(old.UnixNano())}))
	return src, outside
}

func statT(t *testing.T, path string) *syscall.Stat_t {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return &st
}

func TestPopulate(t *testing.T) {
	testbundle.RequireRoot(t)
	s := newStore(t)
	src, _ := imageTree(t)
	v := mustCreate(t, s, CreateOptions{Name: "pop"})
	if err := s.Populate(v, src); err != nil {
		t.Fatal(err)
	}
	d := v.Mountpoint
	if b, err := os.ReadFile(filepath.Join(d, "file")); err != nil || string(b) != "hello" {
		t.Fatal(string(b), err)
	}
	checks := []struct {
		path     string
		mode     uint32
		uid, gid uint32
	}{
		{"", syscall.S_IFDIR | 0o750, 1000, 1000},
		{"file", syscall.S_IFREG | 0o640, 1000, 1000},
		{"sub/suid", syscall.S_IFREG | 0o4755, 1000, 1000},
		{"sub/ro", syscall.S_IFDIR | 0o555, 1000, 1000},
		{"fifo", syscall.S_IFIFO | 0o620, 1000, 1000},
		{"null", syscall.S_IFCHR | 0o666, 0, 0},
		{"abs", syscall.S_IFLNK | 0o777, 1001, 1001},
	}
	for _, c := range checks {
		st := statT(t, filepath.Join(d, c.path))
		if st.Mode != c.mode || st.Uid != c.uid || st.Gid != c.gid {
			t.Errorf("%s: mode %o uid %d gid %d, want %o %d %d", c.path, st.Mode, st.Uid, st.Gid, c.mode, c.uid, c.gid)
		}
	}
	want := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC).Unix()
	for _, p := range []string{"file", "sub", "abs"} {
		if st := statT(t, filepath.Join(d, p)); st.Mtim.Sec != want {
			t.Errorf("%s: mtime %d, want %d", p, st.Mtim.Sec, want)
		}
	}
	if a, b := statT(t, filepath.Join(d, "file")), statT(t, filepath.Join(d, "sub", "hard")); a.Ino != b.Ino {
		t.Error("hard link copied as two files")
	}
	if target, err := os.Readlink(filepath.Join(d, "escape")); err != nil || target != "../../outside" {
		t.Errorf("escape link: %q %v", target, err)
	}
	filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
		if err == nil && e.Name() == "secret" {
			t.Errorf("%s: copied through a symlink", path)
		}
		return nil
	})
	if val := make([]byte, 16); true {
		n, err := unix.Getxattr(filepath.Join(d, "file"), "user.note", val)
		if err != nil || string(val[:n]) != "kept" {
			t.Errorf("xattr: %q %v", val[:n], err)
		}
	}
	// Only once: new image content is not copied again.
	os.WriteFile(filepath.Join(src, "later"), nil, 0o644)
	os.Remove(filepath.Join(d, "file"))
	if err := s.Populate(v, src); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(d, "later")); err == nil {
		t.Error("populated twice")
	}
}

func TestPopulateSkips(t *testing.T) {
	s := newStore(t)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644)

	busy := mustCreate(t, s, CreateOptions{Name: "busy"})
	os.WriteFile(filepath.Join(busy.Mountpoint, "mine"), nil, 0o644)
	if err := s.Populate(busy, src); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(busy.Mountpoint, "f")); err == nil {
		t.Error("copied into a non-empty volume")
	}

	tmpfs := mustCreate(t, s, CreateOptions{Name: "tmp", Options: map[string]string{"type": "tmpfs", "device": "tmpfs"}})
	if err := s.Populate(tmpfs, src); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(tmpfs.Mountpoint, "f")); err == nil {
		t.Error("copied into a tmpfs volume")
	}

	// No content at the mount point: nothing copied, and a later image
	// that has content can still fill it.
	fresh := mustCreate(t, s, CreateOptions{Name: "fresh"})
	if err := s.Populate(fresh, filepath.Join(src, "missing")); err != nil {
		t.Fatal(err)
	}
	if err := s.Populate(fresh, src); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(fresh.Mountpoint, "f")); err != nil {
		t.Error("not populated", err)
	}

	// A symlink as the source itself is not followed.
	link := filepath.Join(t.TempDir(), "l")
	os.Symlink(src, link)
	viaLink := mustCreate(t, s, CreateOptions{Name: "vialink"})
	if err := s.Populate(viaLink, link); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(viaLink.Mountpoint, "f")); err == nil {
		t.Error("followed a symlinked source")
	}
}
