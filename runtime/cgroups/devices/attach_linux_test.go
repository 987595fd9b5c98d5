package devices

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// dockerDefault is the shape of Docker's default device list: deny all,
// then the usual character devices and mknod of any device.
var dockerDefault = []specs.LinuxDeviceCgroup{
	{Allow: false, Access: "rwm"},
	{Allow: true, Type: "c", Access: "m"},
	{Allow: true, Type: "b", Access: "m"},
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(5), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(7), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(8), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(9), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(5), Minor: i64(0), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(5), Minor: i64(1), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(5), Minor: i64(2), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(136), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(10), Minor: i64(200), Access: "rwm"},
	{Allow: false, Type: "c", Major: i64(10), Minor: i64(229), Access: "rwm"},
}

func TestLoadPassesVerifier(t *testing.T) {
	testbundle.RequireRoot(t)
	insns, err := Program(dockerDefault)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Load(insns)
	if err != nil {
		t.Fatalf("kernel rejected the device filter: %v", err)
	}
	prog.Close()
}

// cgroup2Mount finds a cgroup2 hierarchy: the root on a pure v2 host, the
// "unified" mount on a hybrid one.
func cgroup2Mount(t *testing.T) string {
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(p, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return p
		}
	}
	t.Fatal("no cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified")
	return ""
}

// readIn runs `head -c1 dev` as a process placed in cgroup dir at clone
// time (CLONE_INTO_CGROUP) and returns its error and output.
func readIn(t *testing.T, dir, dev string) (string, error) {
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	cmd := exec.Command("head", "-c1", dev)
	cmd.Stdout = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestApplyDeniesAndReplaces(t *testing.T) {
	testbundle.RequireRoot(t)
	dir := filepath.Join(cgroup2Mount(t), fmt.Sprintf("onggi-devtest-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unix.Rmdir(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	deny := []specs.LinuxDeviceCgroup{
		{Allow: true, Type: "a"},
		{Allow: false, Type: "c", Major: i64(1), Minor: i64(5), Access: "rwm"}, // /dev/zero
	}
	if err := Apply(dir, deny); err != nil {
		t.Fatal(err)
	}
	if out, err := readIn(t, dir, "/dev/zero"); err == nil || !strings.Contains(out, "Operation not permitted") {
		t.Errorf("reading /dev/zero in the cgroup: err %v, output %q; want Operation not permitted", err, out)
	}
	if out, err := readIn(t, dir, "/dev/urandom"); err != nil {
		t.Errorf("reading /dev/urandom in the cgroup: %v %q", err, out)
	}
	// Update: the new filter replaces the old one instead of stacking.
	if err := Apply(dir, []specs.LinuxDeviceCgroup{{Allow: true, Type: "a"}}); err != nil {
		t.Fatal(err)
	}
	if out, err := readIn(t, dir, "/dev/zero"); err != nil {
		t.Errorf("after update, reading /dev/zero: %v %q", err, out)
	}
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	q, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Programs) != 1 {
		t.Errorf("%d device programs attached after an update; want 1", len(q.Programs))
	}
}
