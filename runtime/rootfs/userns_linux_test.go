package rootfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// usernsEnv tells a re-executed test binary to act as a container init in
// a user namespace, on the rootfs it names.
const usernsEnv = "ONGGI_ROOTFS_TEST_USERNS_ROOTFS"

// TestUserNamespace runs the whole sequence in a child process that is in
// new user, mount, pid, net, ipc and cgroup namespaces (a user namespace
// cannot be unshared by one thread of a Go process). There mknod fails, so
// the devices must be bind-mounted from the host, and the mounts inherited
// from the host carry locked flags that read-only remounts must keep.
func TestUserNamespace(t *testing.T) {
	rootfs := newRootfs(t)
	if err := os.Chmod(filepath.Dir(rootfs), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUserNamespaceInit$", "-test.v")
	cmd.Env = append(os.Environ(), usernsEnv+"="+rootfs)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWNET |
			unix.CLONE_NEWIPC | unix.CLONE_NEWCGROUP,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}},
		GidMappingsEnableSetgroups: true,
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("init in a user namespace: %v\n%s", err, out)
	}
	assertNoHostMounts(t, filepath.Dir(rootfs))
}

// TestUserNamespaceInit is the child side of TestUserNamespace.
func TestUserNamespaceInit(t *testing.T) {
	rootfs := os.Getenv(usernsEnv)
	if rootfs == "" {
		t.Skip("only run re-executed by TestUserNamespace")
	}
	spec := testbundle.Spec()
	spec.Root.Readonly = true
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	if err := Prepare(spec, rootfs); err != nil {
		t.Fatal(err)
	}
	if err := PivotRoot(rootfs, false); err != nil {
		t.Fatal(err)
	}
	if err := Finalize(spec); err != nil {
		t.Fatal(err)
	}
	for _, d := range DefaultDevices {
		var st unix.Stat_t
		if err := unix.Stat(d.Path, &st); err != nil || st.Rdev != unix.Mkdev(uint32(d.Major), uint32(d.Minor)) {
			t.Errorf("%s: not the host's device (%v)", d.Path, err)
		}
		if !isMountPoint(t, d.Path) {
			t.Errorf("%s: want a bind mount of the host's node in a user namespace", d.Path)
		}
	}
	checkMasked(t)
	assertErrno(t, "/", unix.Access("/etc", unix.W_OK), unix.EROFS)
	assertErrno(t, "/proc/sys", unix.Access("/proc/sys/kernel/domainname", unix.W_OK), unix.EROFS)
}
