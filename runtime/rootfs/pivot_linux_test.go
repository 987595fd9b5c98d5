package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestPivotAndFinalize runs the whole sequence (pivot_root and the MS_MOVE
// fallback) and checks the new root, masked and read-only paths and
// root.readonly.
func TestPivotAndFinalize(t *testing.T) {
	for _, noPivot := range []bool{false, true} {
		name := map[bool]string{false: "pivot_root", true: "ms_move"}[noPivot]
		t.Run(name, func(t *testing.T) {
			rootfs := newRootfs(t)
			spec := testbundle.Spec()
			spec.Root.Readonly = true
			spec.Mounts[0].Options = []string{"nosuid", "nodev", "noexec"} // kept under readonlyPaths
			spec.Linux.MaskedPaths = append(spec.Linux.MaskedPaths, "/proc/missing", "/proc/self/missing/x")
			var rootIno unix.Stat_t
			if err := unix.Stat(rootfs, &rootIno); err != nil {
				t.Fatal(err)
			}
			inMountNS(t, filepath.Dir(rootfs), unix.CLONE_NEWCGROUP, func(t *testing.T) {
				if err := Prepare(spec, rootfs); err != nil {
					t.Fatal(err)
				}
				if err := PivotRoot(rootfs, noPivot); err != nil {
					t.Fatal(err)
				}
				checkNewRoot(t, rootIno)
				if err := Finalize(spec); err != nil {
					t.Fatal(err)
				}
				checkMasked(t)
				checkReadonly(t)
			})
		})
	}
}

func checkNewRoot(t *testing.T, want unix.Stat_t) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/", &st); err != nil || st.Ino != want.Ino || st.Dev != want.Dev {
		t.Fatalf("/ is not the rootfs (%v)", err)
	}
	if wd, err := os.Getwd(); err != nil || wd != "/" {
		t.Errorf("cwd %q (%v), want /", wd, err)
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Error(err)
	}
	mounts, err := threadMounts(nil)
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{"/": true, "/proc": true, "/dev": true, "/dev/pts": true, "/dev/shm": true,
		"/dev/mqueue": true, "/sys": true, "/sys/fs/cgroup": true}
	for _, m := range mounts {
		if !ours[m.Mountpoint] && !strings.HasPrefix(m.Mountpoint, "/sys/fs/cgroup/") {
			t.Errorf("host mount visible in the container: %s (%s)", m.Mountpoint, m.FSType)
		}
	}
}

func checkMasked(t *testing.T) {
	t.Helper()
	var st unix.Stat_t
	for _, p := range []string{"/proc/keys", "/proc/timer_list"} {
		if err := unix.Stat(p, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
			t.Errorf("%s is not masked by /dev/null (%v)", p, err)
		}
	}
	var fs unix.Statfs_t
	if err := unix.Statfs("/sys/firmware", &fs); err != nil || fs.Type != unix.TMPFS_MAGIC {
		t.Errorf("/sys/firmware is not masked by a tmpfs (%v)", err)
	}
	hasOpts(t, "/sys/firmware", threadMount(t, "/sys/firmware").Options, "ro")
	if entries, err := os.ReadDir("/sys/firmware"); err != nil || len(entries) != 0 {
		t.Errorf("/sys/firmware lists %d entries (%v)", len(entries), err)
	}
}

func checkReadonly(t *testing.T) {
	t.Helper()
	// access(2), never a write: if the defence broke, a write would reach
	// the host kernel.
	for _, p := range []string{"/proc/sys/kernel/domainname", "/", "/tmp", "/etc/passwd"} {
		assertErrno(t, p, unix.Access(p, unix.W_OK), unix.EROFS)
	}
	// proc's own nosuid,nodev,noexec are kept under the read-only bind.
	hasOpts(t, "/proc/sys", threadMount(t, "/proc/sys").Options, "ro", "nosuid", "nodev", "noexec")
	if err := unix.Access("/dev/null", unix.W_OK); err != nil {
		t.Errorf("/dev/null not writable under a read-only root: %v", err)
	}
}

// TestRootfsPropagation checks linux.rootfsPropagation on the new root.
func TestRootfsPropagation(t *testing.T) {
	for prop, want := range map[string]string{"shared": "shared:", "private": "", "rslave": "", "unbindable": "unbindable"} {
		t.Run(prop, func(t *testing.T) {
			rootfs := newRootfs(t)
			spec := minimalSpec()
			spec.Linux.RootfsPropagation = prop
			inMountNS(t, filepath.Dir(rootfs), 0, func(t *testing.T) {
				if err := Prepare(spec, rootfs); err != nil {
					t.Fatal(err)
				}
				if err := PivotRoot(rootfs, false); err != nil {
					t.Fatal(err)
				}
				// No /proc in this spec: read the table from the rootfs' view.
				if err := Finalize(spec); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll("/proc", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := unix.Mount("proc", "/proc", "proc", 0, ""); err != nil {
					t.Fatal(err)
				}
				got := threadMount(t, "/").Optional
				if (want == "") != (got == "") || !strings.HasPrefix(got, want) {
					t.Errorf("/ optional fields %q, want %q", got, want)
				}
			})
		})
	}
}

// TestFinalizeMissingProc checks masking works with no /proc at all in the
// container: nothing depends on /proc/self/fd.
func TestFinalizeMissingProc(t *testing.T) {
	rootfs := newRootfs(t)
	spec := minimalSpec(specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"})
	if err := os.WriteFile(rootfs+"/etc/secret", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	spec.Linux.MaskedPaths = []string{"/etc/secret"}
	spec.Linux.ReadonlyPaths = []string{"/etc"}
	if err := os.RemoveAll(rootfs + "/proc"); err != nil {
		t.Fatal(err)
	}
	inMountNS(t, filepath.Dir(rootfs), 0, func(t *testing.T) {
		if err := Prepare(spec, rootfs); err != nil {
			t.Fatal(err)
		}
		if err := PivotRoot(rootfs, false); err != nil {
			t.Fatal(err)
		}
		if err := Finalize(spec); err != nil {
			t.Fatal(err)
		}
		if data, err := os.ReadFile("/etc/secret"); err != nil || len(data) != 0 {
			t.Errorf("/etc/secret reads %q (%v), want masked", data, err)
		}
		assertErrno(t, "/etc/passwd", unix.Access("/etc/passwd", unix.W_OK), unix.EROFS)
	})
}

// TestPivotRootEINVALFallback: where pivot_root fails with EINVAL (on an
// initramfs; here because the rootfs' parent mount is shared) PivotRoot
// falls back to MS_MOVE + chroot.
func TestPivotRootEINVALFallback(t *testing.T) {
	rootfs := newRootfs(t)
	base := filepath.Dir(rootfs)
	var rootIno unix.Stat_t
	if err := unix.Stat(rootfs, &rootIno); err != nil {
		t.Fatal(err)
	}
	inMountNS(t, base, 0, func(t *testing.T) {
		if err := unix.Mount(base, base, "", unix.MS_BIND, ""); err != nil {
			t.Fatal(err)
		}
		if err := Prepare(minimalSpec(), rootfs); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("", base, "", unix.MS_SHARED, ""); err != nil {
			t.Fatal(err)
		}
		if err := unix.Chdir(rootfs); err != nil {
			t.Fatal(err)
		}
		if err := unix.PivotRoot(".", "."); err != unix.EINVAL {
			t.Fatalf("pivot_root under a shared parent: %v, want EINVAL for this test to mean anything", err)
		}
		if err := PivotRoot(rootfs, false); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Stat("/", &st); err != nil || st.Ino != rootIno.Ino || st.Dev != rootIno.Dev {
			t.Errorf("/ is not the rootfs (%v)", err)
		}
		if _, err := os.Stat("/bin/busybox"); err != nil {
			t.Error(err)
		}
	})
}
