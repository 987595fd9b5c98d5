package rootfs

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	// Keep the main goroutine on the main thread: /proc/self is that thread,
	// so checking /proc/self/mountinfo after a test sees the host's mount
	// table, never a test namespace.
	runtime.LockOSThread()
	os.Exit(m.Run())
}

// inMountNS runs fn on an OS thread of its own that unshares a private
// mount namespace (plus extra clone flags, e.g. CLONE_NEWCGROUP). The thread
// stays locked, so Go destroys it, and its namespace, when fn returns.
// Afterwards it checks that nothing under dir leaked to the host's mount table.
func inMountNS(t *testing.T, dir string, extra int, fn func(t *testing.T)) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		if err := unix.Unshare(unix.CLONE_NEWNS | extra); err != nil {
			t.Errorf("unshare: %v", err)
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			t.Errorf("making / rprivate: %v", err)
			return
		}
		fn(t)
	}()
	<-done
	assertNoHostMounts(t, dir)
}

func assertNoHostMounts(t *testing.T, dir string) {
	t.Helper()
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mounts {
		t.Errorf("mount leaked to the host: %s (%s)", m.Mountpoint, m.FSType)
	}
}

// newRootfs makes a busybox rootfs in a fresh temporary directory.
func newRootfs(t *testing.T) string {
	t.Helper()
	testbundle.RequireRoot(t)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(dir, "rootfs")
	testbundle.Rootfs(t, rootfs)
	return rootfs
}

// minimalSpec is a spec with the given mounts and no namespaces of note.
func minimalSpec(mounts ...specs.Mount) *specs.Spec {
	return &specs.Spec{Root: &specs.Root{Path: "rootfs"}, Mounts: mounts, Linux: &specs.Linux{}}
}

// threadMount returns this thread's mount at exactly path, failing t if none.
func threadMount(t *testing.T, path string) *mountinfo.Info {
	t.Helper()
	mounts, err := threadMounts(mountinfo.SingleEntryFilter(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(mounts) == 0 {
		t.Fatalf("%s is not a mount point", path)
	}
	return mounts[len(mounts)-1] // the topmost
}

func isMountPoint(t *testing.T, path string) bool {
	t.Helper()
	mounts, err := threadMounts(mountinfo.SingleEntryFilter(path))
	if err != nil {
		t.Fatal(err)
	}
	return len(mounts) > 0
}

// hasOpts checks comma-separated options.
func hasOpts(t *testing.T, what, opts string, want ...string) {
	t.Helper()
	have := strings.Split(opts, ",")
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			t.Errorf("%s: options %q lack %q", what, opts, w)
		}
	}
}

func readFirstLine(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	return sc.Text()
}

// assertErrno checks that err is errno.
func assertErrno(t *testing.T, what string, err error, errno unix.Errno) {
	t.Helper()
	if err != errno {
		t.Errorf("%s: got %v, want %v", what, err, errno)
	}
}
