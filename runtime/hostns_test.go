package runtime

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// noNamespaces lists no namespace at all: the container inherits every one
// of the runtime's (runtime-tools' linux_ns_itype does the same).
func noNamespaces(s *specs.Spec) {
	s.Linux.Namespaces = nil
	s.Hostname = ""
}

// mountTable returns the lines of the test process's mountinfo.
func mountTable(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// assertSameMounts fails t unless the mount table is line for line what it
// was (mount IDs, mount points, options and propagation alike). Mounts
// under /tmp and /run belong to whatever else runs on the machine (test
// packages run in parallel: their netns files, overlays, dockerd's) and
// are ignored, except those under this test's own temporary directories.
func assertSameMounts(t *testing.T, before []string) {
	t.Helper()
	after := mountTable(t)
	ours := func(l string) bool {
		f := strings.Fields(l)
		if len(f) < 5 {
			return true
		}
		mp := f[4]
		if !strings.HasPrefix(mp, "/tmp/") && !strings.HasPrefix(mp, "/run/") {
			return true
		}
		return strings.HasPrefix(mp, filepath.Join(os.TempDir(), testTempPrefix(t)))
	}
	for _, l := range after {
		if ours(l) && !slices.Contains(before, l) {
			t.Errorf("mount added or changed: %s", l)
		}
	}
	for _, l := range before {
		if ours(l) && !slices.Contains(after, l) {
			t.Errorf("mount removed or changed: %s", l)
		}
	}
}

// testTempPrefix is how t.TempDir names this test's directories (the test
// name with path separators and odd characters replaced).
func testTempPrefix(t *testing.T) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == '<' || r == '>' || r == '*' || r == '?' || r == '"' || r == '|' {
			return '_'
		}
		return r
	}, t.Name())
}

// mountsUnder returns the mount table lines whose mount point is dir or
// below it.
func mountsUnder(t *testing.T, dir string) []string {
	var out []string
	for _, l := range mountTable(t) {
		f := strings.Fields(l)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			out = append(out, l)
		}
	}
	return out
}

func TestNoNamespaces(t *testing.T) {
	testbundle.RequireRoot(t)
	before := mountTable(t)
	r := newRuntime(t)
	bundle := testbundle.Bundle(t, noNamespaces, "echo", "hello from the host's namespaces")
	rootfs, err := filepath.EvalSymlinks(filepath.Join(bundle, "rootfs"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle, Stdio: Stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	st := wantStatus(t, c, specs.StateCreated)
	assertSameNamespaces(t, st.Pid)
	if root, err := os.Readlink("/proc/" + strconv.Itoa(st.Pid) + "/root"); err != nil || root != rootfs {
		t.Errorf("init's root %q (%v), want the chroot %s", root, err, rootfs)
	}
	if m := mountsUnder(t, rootfs+"/proc"); len(m) == 0 || !strings.Contains(m[0], " - proc ") {
		t.Errorf("no proc mounted at %s/proc in the runtime's mount namespace: %q", rootfs, m)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	if code, err := c.Wait(); err != nil || code != 0 || out.String() != "hello from the host's namespaces\n" {
		t.Fatalf("wait: code %d, %v, stdout %q, stderr %q", code, err, out.String(), errb.String())
	}
	if err := c.Delete(false); err != nil {
		t.Fatalf("delete: %v", err)
	}
	assertSameMounts(t, before)
}

// assertSameNamespaces compares every /proc/<pid>/ns entry with ours.
func assertSameNamespaces(t *testing.T, pid int) {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/ns")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		ours, err1 := os.Readlink("/proc/self/ns/" + e.Name())
		theirs, err2 := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + e.Name())
		if err1 != nil || err2 != nil || ours != theirs {
			t.Errorf("namespace %s: container %q (%v), runtime %q (%v)", e.Name(), theirs, err2, ours, err1)
		}
	}
}

// TestNoMountNSFailedMount makes the init fail after several mounts in the
// runtime's namespace: Create's cleanup must take every one of them down.
func TestNoMountNSFailedMount(t *testing.T) {
	testbundle.RequireRoot(t)
	before := mountTable(t)
	r := newRuntime(t)
	bundle := testbundle.Bundle(t, func(s *specs.Spec) {
		noNamespaces(s)
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt", Type: "bogusfs", Source: "x"})
	}, "true")
	id := uniqueID(t)
	_, err := r.Create(id, CreateOpts{Bundle: bundle})
	if err == nil {
		t.Fatal("create succeeded with a bogus filesystem type")
	}
	if !strings.Contains(err.Error(), "/mnt") {
		t.Errorf("error %q does not name /mnt", err)
	}
	assertSameMounts(t, before)
	assertNoLeftovers(t, r, id, bundle)
}

// TestNoMountNSSharedParent puts the bundle on a shared mount with a peer
// elsewhere, as on a systemd host where "/" is shared: the parent must stay
// shared and the container's mounts must not propagate to the peer.
func TestNoMountNSSharedParent(t *testing.T) {
	testbundle.RequireRoot(t)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	shared, peer := filepath.Join(dir, "shared"), filepath.Join(dir, "peer")
	for _, d := range []string{shared, peer} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mount("tmpfs", shared, "tmpfs", 0, "mode=755"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Unmount(shared, unix.MNT_DETACH) })
	if err := unix.Mount("", shared, "", unix.MS_SHARED, ""); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(shared, peer, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Unmount(peer, unix.MNT_DETACH) })
	bundle := filepath.Join(shared, "bundle")
	testbundle.Rootfs(t, filepath.Join(bundle, "rootfs"))
	s := testbundle.Spec("true")
	noNamespaces(s)
	testbundle.WriteSpec(t, bundle, s)

	before := mountTable(t)
	r := newRuntime(t)
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	// At most the rootfs bind itself reaches the peer (the kernel
	// propagates any mount attached under a shared one); nothing below it.
	peerRootfs := filepath.Join(peer, "bundle", "rootfs")
	for _, l := range mountsUnder(t, peerRootfs) {
		if strings.Fields(l)[4] != peerRootfs {
			t.Errorf("container mount propagated to the peer: %s", l)
		}
	}
	for _, l := range mountsUnder(t, shared) {
		if strings.Fields(l)[4] == shared && !slices.Contains(before, l) {
			t.Errorf("parent mount changed: %s", l)
		}
	}
	if len(mountsUnder(t, filepath.Join(bundle, "rootfs", "proc"))) == 0 {
		t.Error("no mount at rootfs/proc")
	}
	if err := c.Delete(false); err != nil {
		t.Fatalf("delete: %v", err)
	}
	assertSameMounts(t, before)
}

// TestNoNamespacesExec: exec joins a container without namespaces, which
// means its chroot only, and force-delete of the running container takes
// its mounts down.
func TestNoNamespacesExec(t *testing.T) {
	testbundle.RequireRoot(t)
	before := mountTable(t)
	r := newRuntime(t)
	bundle := testbundle.Bundle(t, noNamespaces, "sleep", "1000")
	if err := os.WriteFile(filepath.Join(bundle, "rootfs", "marker"), []byte("inside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	p := testbundle.Spec().Process
	p.Args = []string{"sh", "-c", "cat /marker; readlink /proc/self/ns/net"}
	ourNet, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if out, code := execOut(t, c, p); code != 0 || out != "inside\n"+ourNet+"\n" {
		t.Errorf("exec: %q, exit %d; want the rootfs's marker and net ns %s", out, code, ourNet)
	}
	if err := c.Delete(true); err != nil {
		t.Fatalf("delete: %v", err)
	}
	assertSameMounts(t, before)
}
