package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/onggi/onggi/errdefs"
)

// hostileRootfs is a container tree whose symlinks point at the host's
// root in every way an attacker could write one.
func hostileRootfs(t *testing.T) (rootfs, vol string) {
	t.Helper()
	base := t.TempDir()
	rootfs = filepath.Join(base, "rootfs")
	vol = filepath.Join(base, "vol")
	for _, d := range []string{"etc", "data", "dir/sub"} {
		noErr(t, os.MkdirAll(filepath.Join(rootfs, d), 0o755))
	}
	noErr(t, os.MkdirAll(vol, 0o755))
	noErr(t, os.WriteFile(filepath.Join(rootfs, "etc/passwd"), []byte("container passwd\n"), 0o644))
	noErr(t, os.WriteFile(filepath.Join(rootfs, "dir/a"), []byte("A"), 0o640))
	noErr(t, os.WriteFile(filepath.Join(rootfs, "dir/sub/b"), []byte("B"), 0o600))
	noErr(t, os.Link(filepath.Join(rootfs, "dir/a"), filepath.Join(rootfs, "dir/hard")))
	noErr(t, os.Symlink("/", filepath.Join(rootfs, "slash")))
	noErr(t, os.Symlink("../../../../../../etc", filepath.Join(rootfs, "up")))
	noErr(t, os.Symlink("/etc/passwd", filepath.Join(rootfs, "dir/link")))
	noErr(t, os.Symlink("../../../etc/./passwd", filepath.Join(rootfs, "dir/rel")))
	noErr(t, os.WriteFile(filepath.Join(vol, "v"), []byte("volume data"), 0o644))
	return rootfs, vol
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tarEntries reads an archive into name → content ("" for non-files).
func tarEntries(t *testing.T, b []byte) map[string]*tar.Header {
	t.Helper()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		noErr(t, err)
		data, _ := io.ReadAll(tr)
		h.PAXRecords = map[string]string{"data": string(data)}
		out[h.Name] = h
	}
}

func tarNames(m map[string]*tar.Header) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func copyOut(t *testing.T, rootfs string, mounts []ctypes.MountPoint, p string) (map[string]*tar.Header, ctypes.PathStat, error) {
	t.Helper()
	cp, err := resolveCpPath(rootfs, mounts, p)
	if err != nil {
		return nil, ctypes.PathStat{}, err
	}
	ps, err := statCp(cp, p, "c")
	if err != nil {
		return nil, ps, err
	}
	var buf bytes.Buffer
	noErr(t, writeCpTar(context.Background(), cp, ps.Name, &buf))
	return tarEntries(t, buf.Bytes()), ps, nil
}

func TestCpFromStaysInRoot(t *testing.T) {
	rootfs, vol := hostileRootfs(t)
	mounts := []ctypes.MountPoint{{Type: mount.TypeVolume, Name: "v", Source: vol, Destination: "/data"}}
	for _, p := range []string{"/slash/etc/passwd", "/up/passwd", "/../../etc/passwd", "slash/slash/etc/passwd"} {
		got, ps, err := copyOut(t, rootfs, mounts, p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if h := got["passwd"]; h == nil || h.PAXRecords["data"] != "container passwd\n" || ps.Name != "passwd" {
			t.Fatalf("%s: read %v (%+v), want the container's passwd", p, tarNames(got), ps)
		}
	}
	// A final symlink is copied as a link, not followed.
	got, ps, err := copyOut(t, rootfs, mounts, "/dir/link")
	noErr(t, err)
	if h := got["link"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "/etc/passwd" || ps.LinkTarget != "/etc/passwd" || ps.Mode&os.ModeSymlink == 0 {
		t.Fatalf("link: %v %+v", tarNames(got), ps)
	}
	if _, ps, err := copyOut(t, rootfs, mounts, "/dir/rel"); err != nil || ps.LinkTarget != "/etc/passwd" {
		t.Fatalf("relative link target %+v %v", ps, err)
	}
	// Volumes: the path reads the volume's data, not the rootfs under it.
	got, _, err = copyOut(t, rootfs, mounts, "/data/v")
	noErr(t, err)
	if got["v"] == nil || got["v"].PAXRecords["data"] != "volume data" {
		t.Fatalf("volume read %v", tarNames(got))
	}
	// A file bind (the engine's /etc/hosts) is read from its source.
	hosts := filepath.Join(t.TempDir(), "hosts")
	noErr(t, os.WriteFile(hosts, []byte("127.0.0.1 localhost\n"), 0o644))
	noErr(t, os.WriteFile(filepath.Join(rootfs, "etc/hosts"), nil, 0o644))
	fm := append(mounts, ctypes.MountPoint{Type: mount.TypeBind, Source: hosts, Destination: "/etc/hosts"})
	got, _, err = copyOut(t, rootfs, fm, "/etc/hosts")
	noErr(t, err)
	if got["hosts"] == nil || got["hosts"].PAXRecords["data"] != "127.0.0.1 localhost\n" {
		t.Fatalf("file bind read %v", tarNames(got))
	}
	if _, _, err := copyOut(t, rootfs, mounts, "/nope"); !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "Could not find the file /nope in container c: not found" {
		t.Fatalf("missing: %v", err)
	}
}

func TestCpFromTreeShapes(t *testing.T) {
	rootfs, _ := hostileRootfs(t)
	got, ps, err := copyOut(t, rootfs, nil, "/dir")
	noErr(t, err)
	want := []string{"dir/", "dir/a", "dir/hard", "dir/link", "dir/rel", "dir/sub/", "dir/sub/b"}
	if g := tarNames(got); len(g) != len(want) || !ps.Mode.IsDir() {
		t.Fatalf("dir: %v, want %v (%+v)", g, want, ps)
	}
	if got["dir/a"].Mode != 0o640 || got["dir/hard"].Typeflag != tar.TypeLink || got["dir/hard"].Linkname != "dir/a" {
		t.Fatalf("modes/links: %+v %+v", got["dir/a"], got["dir/hard"])
	}
	got, _, err = copyOut(t, rootfs, nil, "/dir/.")
	noErr(t, err)
	if g := tarNames(got); len(g) != 6 || got["a"] == nil || got["sub/b"] == nil {
		t.Fatalf("dir/.: %v", g)
	}
}

// hostileTar builds an archive from (name, type, linkname, content).
func hostileTar(t *testing.T, entries [][4]string) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e[0], Typeflag: e[1][0], Linkname: e[2], Mode: 0o644, Size: int64(len(e[3]))}
		noErr(t, tw.WriteHeader(h))
		_, err := tw.Write([]byte(e[3]))
		noErr(t, err)
	}
	noErr(t, tw.Close())
	return &buf
}

func TestCpToStaysInRoot(t *testing.T) {
	rootfs, _ := hostileRootfs(t)
	outside := t.TempDir() // stands for the host: nothing may land here
	noErr(t, os.Symlink(outside, filepath.Join(rootfs, "hostdir")))
	extract := func(dst string, entries [][4]string) error {
		cp, err := resolveCpPath(rootfs, nil, dst)
		noErr(t, err)
		d, err := openCpDir(cp, dst, "c")
		if err != nil {
			return err
		}
		defer d.Close()
		return extractTar(context.Background(), d, hostileTar(t, entries))
	}
	// The destination symlink to an absolute host path resolves inside the rootfs.
	noErr(t, os.MkdirAll(filepath.Join(rootfs, outside), 0o755))
	noErr(t, extract("/hostdir", [][4]string{{"f", string(tar.TypeReg), "", "x"}}))
	if _, err := os.Stat(filepath.Join(outside, "f")); err == nil {
		t.Fatal("file written through the destination symlink onto the host")
	}
	if _, err := os.Stat(filepath.Join(rootfs, outside, "f")); err != nil {
		t.Fatalf("file not inside the rootfs: %v", err)
	}
	// A symlink entry followed by a file through it: refused (the link
	// dangles inside the root) or written inside, never on the host.
	for _, pair := range [][][4]string{
		{{"esc", string(tar.TypeSymlink), outside, ""}, {"esc/pwned", string(tar.TypeReg), "", "x"}},
		{{"rel", string(tar.TypeSymlink), "../../../../../../../" + outside, ""}, {"rel/pwned2", string(tar.TypeReg), "", "x"}},
		{{"s", string(tar.TypeSymlink), "/", ""}, {"s/etc/pwned3", string(tar.TypeReg), "", "x"}},
	} {
		_ = extract("/dir", pair)
	}
	for _, n := range []string{filepath.Join(outside, "pwned"), filepath.Join(outside, "pwned2"), "/etc/pwned3"} {
		if _, err := os.Lstat(n); err == nil {
			os.Remove(n)
			t.Fatalf("%s escaped to the host", n)
		}
	}
	// Breakout names are refused.
	for _, n := range []string{"../x", "a/../../x"} {
		if err := extract("/dir", [][4]string{{n, string(tar.TypeReg), "", "x"}}); !errors.Is(err, errdefs.ErrInvalid) {
			t.Fatalf("%s: %v", n, err)
		}
	}
	if err := extract("/dir", [][4]string{{"h", string(tar.TypeLink), "../../etc/passwd", ""}}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("escaping hard link: %v", err)
	}
	// A file replaces a file; a destination that is a file is refused.
	noErr(t, extract("/dir", [][4]string{{"a", string(tar.TypeReg), "", "new"}}))
	if b, _ := os.ReadFile(filepath.Join(rootfs, "dir/a")); string(b) != "new" {
		t.Fatalf("dir/a = %q", b)
	}
	if err := extract("/etc/passwd", nil); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("file destination: %v", err)
	}
}
