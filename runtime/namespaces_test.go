package runtime

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func withUserNS(s *specs.Spec) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
}

// hostUID returns the real uid of pid as the host sees it.
func hostUID(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Uid:"); ok {
			uid, _ := strconv.Atoi(strings.Fields(v)[0])
			return uid
		}
	}
	t.Fatal("no Uid line")
	return -1
}

// userNSBundle makes a bundle a mapped root can reach: t.TempDir's parent
// directory is 0700.
func userNSBundle(t *testing.T, args ...string) string {
	b := testbundle.Bundle(t, withUserNS, args...)
	if err := os.Chmod(filepath.Dir(b), 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUserNamespace(t *testing.T) {
	testbundle.RequireRoot(t)
	res := runBundle(t, newRuntime(t), userNSBundle(t, "sh", "-c", "id -u; cat /proc/self/uid_map"))
	f := strings.Fields(res.out)
	if res.code != 0 || len(f) != 4 || f[0] != "0" || f[2] != "100000" || f[3] != "65536" {
		t.Fatalf("inside: %+v", res)
	}
	// The host sees the mapped uid.
	r := newRuntime(t)
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: userNSBundle(t, "sleep", "1000")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	st := wantStatus(t, c, specs.StateRunning)
	if uid := hostUID(t, st.Pid); uid != 100000 {
		t.Fatalf("host uid of init %d, want 100000", uid)
	}
	p := testbundle.Spec().Process
	p.Args = []string{"id", "-u"}
	if out, code := execOut(t, c, p); code != 0 || out != "0\n" {
		t.Fatalf("exec in user ns: %q %d", out, code)
	}
}

// TestJoinNetNSByPath joins a namespace made by `ip netns add`, which
// holds a bridge link the container must see; it goes through nsenter.
func TestJoinNetNSByPath(t *testing.T) {
	testbundle.RequireRoot(t)
	name := uniqueID(t)[:30]
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "netns", "exec", name, "ip", "link", "add", "onggitest0", "type", "bridge").CombinedOutput(); err != nil {
		t.Fatalf("adding bridge link: %v %s", err, out)
	}
	res := run(t, func(s *specs.Spec) {
		for i := range s.Linux.Namespaces {
			if s.Linux.Namespaces[i].Type == specs.NetworkNamespace {
				s.Linux.Namespaces[i].Path = filepath.Join("/run/netns", name)
			}
		}
	}, "sh", "-c", "ip link; echo pid $$")
	if res.code != 0 || !strings.Contains(res.out, "onggitest0") || !strings.Contains(res.out, "pid 1\n") {
		t.Fatalf("got %+v", res)
	}
}

func TestTimeNamespace(t *testing.T) {
	res := run(t, func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 1000 * 86400}}
	}, "cat", "/proc/uptime")
	f := strings.Fields(res.out)
	if len(f) == 0 {
		t.Fatalf("got %+v", res)
	}
	up, _ := strconv.ParseFloat(f[0], 64)
	if up < 1000*86400 {
		t.Fatalf("uptime %v inside, want the 1000-day boottime offset (%+v)", up, res)
	}
}

func TestCgroupLimits(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	limit, mem := int64(42), int64(64<<20)
	bundle := testbundle.Bundle(t, func(s *specs.Spec) {
		s.Linux.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit},
			Memory: &specs.LinuxMemory{Limit: &mem}}
	}, "sh", "-c", "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /proc/self/cgroup")
	res := runBundle(t, r, bundle)
	lines := strings.Split(res.out, "\n")
	if res.code != 0 || len(lines) < 2 || lines[0] != "42" || lines[1] != strconv.FormatInt(mem, 10) {
		t.Fatalf("limits seen inside: %+v", res)
	}
	// The cgroup namespace makes the container's cgroup its root.
	if !strings.Contains(res.out, ":pids:/\n") {
		t.Fatalf("cgroup namespace root: %q", res.out)
	}
	// Update changes the limit on the host side.
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	limit2 := int64(17)
	if err := c.Update(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit2}}); err != nil {
		t.Fatal(err)
	}
	st, err := readState(c.dir(), c.id)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(st.CgroupPaths["pids"], "pids.max"))
	if err != nil || strings.TrimSpace(string(data)) != "17" {
		t.Fatalf("pids.max after update %q %v", data, err)
	}
	if _, err := c.Stats(); err != nil {
		t.Fatalf("stats: %v", err)
	}
}
