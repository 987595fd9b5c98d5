package cgroups

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// startSleep starts a `sleep` child that t's cleanup kills and reaps.
func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// hostCgroup returns a Manager for a fresh cgroup on the real host, whose
// directories (and their parent) t's cleanup removes, after the processes
// started later have been killed (cleanups run last-registered first).
func hostCgroup(t *testing.T) Manager {
	t.Helper()
	testbundle.RequireRoot(t)
	parent := fmt.Sprintf("/onggi-test-%d", os.Getpid())
	m, err := New(parent+"/"+strings.ReplaceAll(t.Name(), "/", "_"), "c")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Errorf("Destroy: %v", err)
		}
		for _, dir := range m.Paths() {
			if err := unix.Rmdir(filepath.Dir(dir)); err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTEMPTY) {
				t.Errorf("removing %s: %v", filepath.Dir(dir), err)
			}
		}
	})
	return m
}

// procState is the state letter of /proc/pid/stat.
func procState(t *testing.T, pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
}

func TestHostLifecycle(t *testing.T) {
	m := hostCgroup(t)
	mode, err := DetectMode()
	if err != nil {
		t.Fatal(err)
	}
	cmd := startSleep(t)
	pid := cmd.Process.Pid
	if err := m.Apply(pid); err != nil {
		t.Fatal(err)
	}
	// (A sleeping process charges no new memory, so usage may read 0.)
	// The kernel agrees the process moved.
	own, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	rel := strings.TrimPrefix(m.Paths()["pids"], "/sys/fs/cgroup/pids")
	if mode == Unified {
		rel = strings.TrimPrefix(m.Paths()[""], "/sys/fs/cgroup")
	}
	if !strings.Contains(string(own), ":"+rel+"\n") {
		t.Errorf("/proc/%d/cgroup = %s; want a line ending in %s", pid, own, rel)
	}

	r := &specs.LinuxResources{
		Pids:   &specs.LinuxPids{Limit: ptr[int64](10)},
		Memory: &specs.LinuxMemory{Limit: ptr[int64](64 << 20)},
		CPU:    &specs.LinuxCPU{Shares: ptr[uint64](512), Quota: ptr[int64](50000), Period: ptr[uint64](100000), Cpus: "0"},
	}
	if mode != Legacy {
		// On this hybrid CI host hugetlb exists only on the cgroup2 mount.
		r.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"pids/pids.max": "10", "memory/memory.limit_in_bytes": "67108864",
		"cpu/cpu.shares": "512", "cpu/cpu.cfs_quota_us": "50000", "cpu/cpu.cfs_period_us": "100000", "cpuset/cpuset.cpus": "0"}
	if mode == Unified {
		files = map[string]string{"/pids.max": "10", "/memory.max": "67108864", "/cpu.weight": "20",
			"/cpu.max": "50000 100000", "/cpuset.cpus": "0"}
	}
	if mode != Legacy {
		files["/hugetlb.2MB.max"] = "4194304"
	}
	for f, want := range files {
		ctrl, name, _ := strings.Cut(f, "/")
		if got := readT(t, filepath.Join(m.Paths()[ctrl], name)); got != want {
			t.Errorf("%s = %q; want %q", filepath.Join(m.Paths()[ctrl], name), got, want)
		}
	}

	pids, err := m.Pids()
	if err != nil || !slices.Equal(pids, []int{pid}) {
		t.Errorf("Pids() = %v, %v; want [%d]", pids, err, pid)
	}

	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if fr, err := m.(FreezeReporter).Frozen(); err != nil || !fr {
		t.Errorf("Frozen() = %v, %v after Freeze", fr, err)
	}
	if st := procState(t, pid); st != "D" {
		t.Errorf("frozen process state %q; want D (frozen)", st)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if st := procState(t, pid); st != "S" {
		t.Errorf("thawed process state %q; want S", st)
	}

	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Pids.Current != 1 || s.Pids.Limit != 10 || s.Memory.Usage.Limit != 64<<20 || len(s.Memory.Raw) == 0 {
		t.Errorf("stats pids %+v memory usage %+v", s.Pids, s.Memory.Usage)
	}

	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range m.Paths() {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after Destroy: %v", dir, err)
		}
	}
}

// TestHostExecJoins is the exec case: Load from saved paths and Apply a
// second process to the existing cgroup.
func TestHostExecJoins(t *testing.T) {
	m := hostCgroup(t)
	a, b := startSleep(t), startSleep(t)
	if err := m.Apply(a.Process.Pid); err != nil {
		t.Fatal(err)
	}
	l, err := Load(m.Paths())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Apply(b.Process.Pid); err != nil {
		t.Fatal(err)
	}
	pids, err := l.Pids()
	slices.Sort(pids)
	want := []int{a.Process.Pid, b.Process.Pid}
	slices.Sort(want)
	if err != nil || !slices.Equal(pids, want) {
		t.Errorf("Pids() = %v, %v; want %v", pids, err, want)
	}
}

// TestHostPidsLimitEnforced checks the limit is in force, not only written:
// a shell limited to 3 tasks gets 2 of its 5 background children (dash
// exits at the first failed fork; the count is taken once it is gone).
func TestHostPidsLimitEnforced(t *testing.T) {
	m := hostCgroup(t)
	sh := exec.Command("sh", "-c", "read x; for i in 1 2 3 4 5; do sleep 100 >/dev/null 2>&1 & done; echo done")
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if pids, err := m.Pids(); err == nil {
			for _, p := range pids {
				_ = unix.Kill(p, unix.SIGKILL)
			}
		}
		_ = sh.Process.Kill()
		_ = sh.Wait()
	})
	if err := m.Apply(sh.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](3)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, stdout)
	_ = sh.Wait()
	pids, err := m.Pids()
	if err != nil || len(pids) != 2 {
		t.Errorf("tasks left in a cgroup limited to 3: %v %v; want the 2 sleeps the shell could fork", pids, err)
	}
}

// TestHostDevicesDeny: after Set, a process in the cgroup cannot open a
// denied device (v1 devices.deny here; v2 hosts go through the eBPF filter).
func TestHostDevicesDeny(t *testing.T) {
	m := hostCgroup(t)
	sh := exec.Command("sh", "-c", "read x; head -c1 /dev/zero >/dev/null && echo opened-zero; head -c1 /dev/urandom >/dev/null && echo opened-urandom")
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sh.Stdout, sh.Stderr = &out, &out
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sh.Process.Kill(); _ = sh.Wait() })
	if err := m.Apply(sh.Process.Pid); err != nil {
		t.Fatal(err)
	}
	err = m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
		{Allow: true, Access: "rwm"},
		{Allow: false, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](5), Access: "rwm"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	_ = sh.Wait()
	if got := out.String(); strings.Contains(got, "opened-zero") || !strings.Contains(got, "opened-urandom") ||
		!strings.Contains(got, "Operation not permitted") {
		t.Errorf("output %q; want /dev/zero denied and /dev/urandom opened", got)
	}
}

// cgroup2Root is the host's cgroup2 mount: the root on a pure v2 host, the
// "unified" mount on a hybrid one (holding only hugetlb on this CI host).
func cgroup2Root(t *testing.T) string {
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if m, err := statfsMagic(p); err == nil && m == unix.CGROUP2_SUPER_MAGIC {
			return p
		}
	}
	t.Fatal("no cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified")
	return ""
}

func wchan(t *testing.T, pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", pid))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHostV2 drives the cgroup2 manager on a real cgroup2 filesystem (on
// this hybrid host, the unified mount treated as a pure v2 root):
// controller delegation, hugetlb, the eBPF device filter through Set,
// cgroup.freeze, stats and removal.
func TestHostV2(t *testing.T) {
	testbundle.RequireRoot(t)
	root := cgroup2Root(t)
	parent := fmt.Sprintf("/onggi-test-%d-v2", os.Getpid())
	m, err := New(parent+"/c", "c", WithMountRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	dir := m.Paths()[""]
	if dir != filepath.Join(root, parent, "c") {
		t.Fatalf("Paths() = %v", m.Paths())
	}
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Errorf("Destroy: %v", err)
		}
		_ = unix.Rmdir(filepath.Join(root, parent))
	})
	cmd := startSleep(t)
	pid := cmd.Process.Pid
	if err := m.Apply(pid); err != nil {
		t.Fatal(err)
	}
	own, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if !strings.Contains(string(own), "0::"+parent+"/c\n") {
		t.Errorf("/proc/%d/cgroup = %s; want 0::%s/c", pid, own, parent)
	}
	avail, err := controllers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !avail["hugetlb"] {
		t.Fatalf("hugetlb not delegated to %s (cgroup.controllers %v)", dir, avail)
	}
	r := &specs.LinuxResources{
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
		Devices:        []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "rwm"}},
		Unified:        map[string]string{"hugetlb.1GB.max": "0"},
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	if got := readT(t, filepath.Join(dir, "hugetlb.2MB.max")); got != "4194304" {
		t.Errorf("hugetlb.2MB.max = %q", got)
	}
	if got := readT(t, filepath.Join(dir, "hugetlb.1GB.max")); got != "0" {
		t.Errorf("hugetlb.1GB.max = %q (unified)", got)
	}
	if !avail["pids"] {
		err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](5)}})
		if !errors.Is(err, ErrNotAvailable) {
			t.Errorf("pids limit without the pids controller: err = %v; want ErrNotAvailable", err)
		}
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	// A task frozen by cgroup2 waits in the signal-delivery freezer trap.
	if w := wchan(t, pid); w != "get_signal" && w != "do_freezer_trap" {
		t.Errorf("frozen task waits in %q; want the freezer trap", w)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if fr, err := m.(FreezeReporter).Frozen(); err != nil || fr {
		t.Errorf("Frozen() = %v, %v after Thaw", fr, err)
	}
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Hugetlb["2MB"]; !ok {
		t.Errorf("stats hugetlb = %v; want a 2MB entry", s.Hugetlb)
	}
	if pids, err := m.Pids(); err != nil || !slices.Equal(pids, []int{pid}) {
		t.Errorf("Pids() = %v, %v", pids, err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still there after Destroy", dir)
	}
}

// firstBlockDevice returns "major:minor" numbers of some block device.
func firstBlockDevice(t *testing.T) (int64, int64) {
	devs, _ := filepath.Glob("/sys/block/*/dev")
	for _, d := range devs {
		var maj, min int64
		b, err := os.ReadFile(d)
		if err == nil {
			if _, err := fmt.Sscanf(string(b), "%d:%d", &maj, &min); err == nil {
				return maj, min
			}
		}
	}
	t.Fatal("no block device in /sys/block")
	return 0, 0
}

// TestHostV1KernelAcceptsFormats writes every v1 value this host's kernel
// supports and reads it back, proving the formats are the kernel's.
func TestHostV1KernelAcceptsFormats(t *testing.T) {
	m := hostCgroup(t)
	mode, err := DetectMode()
	if err != nil {
		t.Fatal(err)
	}
	if mode == Unified {
		t.Skip("cgroup v1 formats; this host is pure v2 (see TestHostV2)")
	}
	cmd := startSleep(t)
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	maj, min := firstBlockDevice(t)
	dev := specs.LinuxBlockIODevice{Major: maj, Minor: min}
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr[int64](64 << 20), Reservation: ptr[int64](32 << 20), Swap: ptr[int64](128 << 20),
			Swappiness: ptr[uint64](10), DisableOOMKiller: ptr(true), UseHierarchy: ptr(true), Kernel: ptr[int64](1 << 20)},
		CPU: &specs.LinuxCPU{Shares: ptr[uint64](256), Quota: ptr[int64](20000), Period: ptr[uint64](50000),
			Burst: ptr[uint64](1000), Idle: ptr[int64](0), Cpus: "0", Mems: "0"},
		Pids: &specs.LinuxPids{Limit: ptr[int64](-1)},
		BlockIO: &specs.LinuxBlockIO{
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 1 << 20}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev, Rate: 300}},
		},
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](136), Access: "rwm"}},
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	p := m.Paths()
	devStr := fmt.Sprintf("%d:%d", maj, min)
	for file, want := range map[string]string{
		p["memory"] + "/memory.limit_in_bytes":           "67108864",
		p["memory"] + "/memory.soft_limit_in_bytes":      "33554432",
		p["memory"] + "/memory.memsw.limit_in_bytes":     "134217728",
		p["memory"] + "/memory.swappiness":               "10",
		p["cpu"] + "/cpu.shares":                         "256",
		p["cpu"] + "/cpu.cfs_quota_us":                   "20000",
		p["cpu"] + "/cpu.cfs_period_us":                  "50000",
		p["cpu"] + "/cpu.cfs_burst_us":                   "1000",
		p["cpuset"] + "/cpuset.cpus":                     "0",
		p["pids"] + "/pids.max":                          "max",
		p["blkio"] + "/blkio.throttle.read_bps_device":   devStr + " 1048576",
		p["blkio"] + "/blkio.throttle.write_iops_device": devStr + " 300",
		p["devices"] + "/devices.list":                   "c 1:3 rwm\nc 136:* rwm",
	} {
		if got := readT(t, file); got != want {
			t.Errorf("%s = %q; want %q", file, got, want)
		}
	}
	if oom := readT(t, p["memory"]+"/memory.oom_control"); !strings.Contains(oom, "oom_kill_disable 1") {
		t.Errorf("memory.oom_control = %q; want oom_kill_disable 1", oom)
	}
	// Growing memory with swap must order the writes (memsw first).
	r2 := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](256 << 20), Swap: ptr[int64](512 << 20)}}
	if err := m.Set(r2); err != nil {
		t.Fatal(err)
	}
	if got := readT(t, p["memory"]+"/memory.limit_in_bytes"); got != "268435456" {
		t.Errorf("after growing, memory.limit_in_bytes = %q", got)
	}
	// An impossible value is a clear error naming file and value.
	err = m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "999"}})
	if want := `writing "999" to ` + p["cpuset"] + "/cpuset.cpus: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v; want prefix %q", err, want)
	}
}
