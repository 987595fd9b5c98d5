//go:build linux

package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/onggi/onggi/image/errdefs"
	"github.com/onggi/onggi/internal/testbundle"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

func TestApplyEntryTypes(t *testing.T) {
	testbundle.RequireRoot(t) // ownership, devices, trusted xattrs
	suid := file("bin/su", "#!")
	suid.mode, suid.uid, suid.gid = 0o4755, 0, 0
	owned := file("home/u/f", "data")
	owned.uid, owned.gid, owned.mode = 1000, 1001, 0o600
	xf := file("x", "x")
	xf.xattrs = map[string]string{"user.k": "v", "trusted.overlay.opaque": "y"}
	chr := ent{name: "dev/null", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 3}
	fifo := ent{name: "run/fifo", typ: tar.TypeFifo, mode: 0o600}
	// An absolute symlink to a watched file: setting the link's owner and
	// times must not reach its target.
	outside := filepath.Join(t.TempDir(), "outside")
	must(t, os.WriteFile(outside, []byte("x"), 0o600))
	outsideBefore, _ := os.Stat(outside)
	data := mkTar(t, dir("./"), dir("bin/"), suid, dir("home/"), dir("home/u/"), owned, xf,
		symlink("lnk", "bin/su"), symlink("abs", outside), hardlink("hl", "home/u/f"), dir("dev/"), chr, dir("run/"), fifo)
	dst := filepath.Join(t.TempDir(), "layer")
	res, err := Apply(context.Background(), dst, bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.DiffID != digest.FromBytes(data) || res.Size != int64(len(data)) {
		t.Fatalf("diff ID %s size %d, want %s %d", res.DiffID, res.Size, digest.FromBytes(data), len(data))
	}
	check := func(name string, wantMode os.FileMode, uid, gid uint32) os.FileInfo {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(dst, name))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != wantMode || st.Uid != uid || st.Gid != gid {
			t.Errorf("%s: mode %v owner %d:%d, want %v %d:%d", name, fi.Mode(), st.Uid, st.Gid, wantMode, uid, gid)
		}
		if !fi.ModTime().Equal(testTime) {
			t.Errorf("%s: mtime %v, want %v", name, fi.ModTime(), testTime)
		}
		return fi
	}
	check("bin/su", 0o755|os.ModeSetuid, 0, 0)
	check("home/u/f", 0o600, 1000, 1001)
	check("home", 0o755|os.ModeDir, 0, 0)
	check("lnk", 0o777|os.ModeSymlink, 0, 0)
	check("dev/null", 0o666|os.ModeDevice|os.ModeCharDevice, 0, 0)
	check("run/fifo", 0o600|os.ModeNamedPipe, 0, 0)
	if l, _ := os.Readlink(filepath.Join(dst, "abs")); l != outside {
		t.Errorf("abs symlink -> %q", l)
	}
	check("abs", 0o777|os.ModeSymlink, 0, 0)
	if after, _ := os.Stat(outside); !after.ModTime().Equal(outsideBefore.ModTime()) || after.Mode() != outsideBefore.Mode() {
		t.Errorf("applying a symlink touched its target: %v → %v", outsideBefore.ModTime(), after.ModTime())
	}
	a, _ := os.Stat(filepath.Join(dst, "hl"))
	b, _ := os.Stat(filepath.Join(dst, "home/u/f"))
	if !os.SameFile(a, b) {
		t.Error("hl is not a hard link of home/u/f")
	}
	var st unix.Stat_t
	unix.Lstat(filepath.Join(dst, "dev/null"), &st)
	if unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		t.Errorf("dev/null is %d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	xa, _ := listXattrs(filepath.Join(dst, "x"))
	if xa["user.k"] != "v" && !errors.Is(unix.Setxattr(filepath.Join(dst, "x"), "user.probe", nil, 0), unix.ENOTSUP) {
		t.Errorf("xattr user.k = %q", xa["user.k"])
	}
	if isOpaqueDir(filepath.Join(dst, "x")) {
		t.Error("a tar could forge trusted.overlay.opaque")
	}
}

func TestApplyCompressions(t *testing.T) {
	data := mkTar(t, dir("d/"), file("d/f", "hello world"))
	for _, c := range []Compression{Uncompressed, Gzip, Zstd} {
		var b bytes.Buffer
		zw, err := Compress(&b, c)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(data)
		zw.Close()
		res, err := Apply(context.Background(), t.TempDir(), &b, Options{NoSameOwner: !isRoot()})
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if res.Compression != c || res.DiffID != digest.FromBytes(data) {
			t.Errorf("%v: detected %v, diff ID %s, want %s", c, res.Compression, res.DiffID, digest.FromBytes(data))
		}
	}
}

func TestApplyDecompressionBomb(t *testing.T) {
	big := file("zeros", string(make([]byte, 1<<20)))
	var b bytes.Buffer
	zw, _ := Compress(&b, Gzip)
	zw.Write(mkTar(t, big))
	zw.Close()
	dst := t.TempDir()
	_, err := Apply(context.Background(), dst, bytes.NewReader(b.Bytes()), Options{MaxSize: 64 << 10, NoSameOwner: true})
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("size cap: got %v", err)
	}
	many := make([]ent, 0, 20)
	for i := 0; i < 20; i++ {
		many = append(many, dir(string(rune('a'+i))+"/"))
	}
	_, err = Apply(context.Background(), t.TempDir(), bytes.NewReader(mkTar(t, many...)), Options{MaxEntries: 10, NoSameOwner: true})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("entry cap: got %v", err)
	}
}
