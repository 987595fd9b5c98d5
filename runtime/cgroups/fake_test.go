//go:build linux

package cgroups

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeHost is a cgroupfs tree in a temporary directory: control files are
// regular files, mountinfo and /proc/self/cgroup are fixtures rewritten to
// point into it, and statfs is replaced so the directories pose as tmpfs or
// cgroup2.
type fakeHost struct {
	root  string
	magic map[string]int64
	proc  string // directory with mountinfo and cgroup
}

func (f *fakeHost) opts(extra ...Option) []Option {
	o := []Option{
		WithMountRoot(f.root),
		WithFSMagic(func(p string) (int64, error) {
			if m, ok := f.magic[p]; ok {
				return m, nil
			}
			return 0, &fs.PathError{Op: "statfs", Path: p, Err: unix.ENOENT}
		}),
		WithProcFiles(filepath.Join(f.proc, "mountinfo"), filepath.Join(f.proc, "cgroup")),
	}
	return append(o, extra...)
}

// newFakeV1 builds a v1 host from testdata/mountinfo.hybrid. With hybrid,
// <root>/unified poses as cgroup2; without hugetlbV1 the v1 hugetlb mount
// is dropped (this CI host's layout: hugetlb only on cgroup2).
func newFakeV1(t *testing.T, hybrid, hugetlbV1 bool) *fakeHost {
	t.Helper()
	f := &fakeHost{root: t.TempDir(), proc: t.TempDir(), magic: map[string]int64{}}
	f.magic[f.root] = unix.TMPFS_MAGIC
	mi, err := os.ReadFile("testdata/mountinfo.hybrid")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(mi)), "\n") {
		if strings.Contains(l, "cgroup2") && !hybrid || strings.Contains(l, "hugetlb") && !hugetlbV1 {
			continue
		}
		if fields := strings.Fields(l); len(fields) > 4 && strings.HasPrefix(fields[4], "/sys/fs/cgroup/") {
			mkdir(t, filepath.Join(f.root, strings.TrimPrefix(fields[4], "/sys/fs/cgroup/")))
		}
		lines = append(lines, strings.ReplaceAll(l, "/sys/fs/cgroup", f.root))
	}
	writeT(t, filepath.Join(f.proc, "mountinfo"), strings.Join(lines, "\n")+"\n")
	cg, err := os.ReadFile("testdata/cgroup.hybrid")
	if err != nil {
		t.Fatal(err)
	}
	writeT(t, filepath.Join(f.proc, "cgroup"), string(cg))
	if hybrid {
		f.magic[filepath.Join(f.root, "unified")] = unix.CGROUP2_SUPER_MAGIC
		writeT(t, filepath.Join(f.root, "unified", "cgroup.controllers"), "hugetlb\n")
		touch(t, filepath.Join(f.root, "unified"), "cgroup.subtree_control")
	}
	writeT(t, filepath.Join(f.root, "cpuset", "cpuset.cpus"), "0-1\n")
	writeT(t, filepath.Join(f.root, "cpuset", "cpuset.mems"), "0\n")
	return f
}

// v1Files are the control files a fake v1 cgroup gets, per mount dir.
var v1Files = map[string][]string{
	"cpu,cpuacct": {"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.cfs_burst_us",
		"cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.idle"},
	"cpuset": {"cpuset.cpus", "cpuset.mems"},
	"memory": {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
		"memory.swappiness", "memory.oom_control", "memory.use_hierarchy"},
	"devices": {"devices.allow", "devices.deny"},
	"freezer": {"freezer.state"},
	"blkio": {"blkio.weight", "blkio.weight_device", "blkio.leaf_weight", "blkio.leaf_weight_device",
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"},
	"pids":             {"pids.max"},
	"net_cls,net_prio": {"net_cls.classid", "net_prio.ifpriomap"},
	"perf_event":       {},
	"hugetlb":          {"hugetlb.2MB.limit_in_bytes", "hugetlb.1GB.limit_in_bytes"},
	"systemd":          {},
}

// makeV1Cgroup pre-creates cgroup p (and its parents) in every mounted
// hierarchy of f, the way the kernel would populate them.
func (f *fakeHost) makeV1Cgroup(t *testing.T, p string) {
	t.Helper()
	for mount, files := range v1Files {
		base := filepath.Join(f.root, mount)
		if _, err := os.Stat(base); err != nil {
			continue
		}
		dir := filepath.Join(base, p)
		for d := dir; d != base; d = filepath.Dir(d) {
			mkdir(t, d)
			touch(t, d, append([]string{"cgroup.procs"}, files...)...)
		}
		if mount == "memory" {
			writeT(t, filepath.Join(dir, "memory.limit_in_bytes"), "9223372036854771712\n")
		}
	}
	if _, ok := f.magic[filepath.Join(f.root, "unified")]; ok {
		f.makeV2Cgroup(t, filepath.Join(f.root, "unified"), p, "hugetlb")
	}
}

// v2Files are a fake v2 cgroup's files per controller.
var v2Files = map[string][]string{
	"cpu":     {"cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle"},
	"cpuset":  {"cpuset.cpus", "cpuset.mems"},
	"memory":  {"memory.max", "memory.low", "memory.high", "memory.swap.max"},
	"pids":    {"pids.max"},
	"io":      {"io.weight", "io.max"},
	"hugetlb": {"hugetlb.2MB.max", "hugetlb.1GB.max"},
}

// newFakeV2 builds a pure cgroup2 host whose root offers ctrls.
func newFakeV2(t *testing.T, ctrls ...string) *fakeHost {
	t.Helper()
	f := &fakeHost{root: t.TempDir(), proc: t.TempDir(), magic: map[string]int64{}}
	f.magic[f.root] = unix.CGROUP2_SUPER_MAGIC
	writeT(t, filepath.Join(f.root, "cgroup.controllers"), strings.Join(ctrls, " ")+"\n")
	touch(t, f.root, "cgroup.subtree_control", "cgroup.procs")
	writeT(t, filepath.Join(f.proc, "mountinfo"), "30 23 0:26 / "+f.root+" rw - cgroup2 cgroup2 rw\n")
	writeT(t, filepath.Join(f.proc, "cgroup"), "0::/user.slice/session-1.scope\n")
	return f
}

// makeV2Cgroup pre-creates cgroup p below mount: each level offers ctrls
// (as if the parent had enabled them) and has the core files.
func (f *fakeHost) makeV2Cgroup(t *testing.T, mount, p string, ctrls ...string) string {
	t.Helper()
	dir := filepath.Join(mount, p)
	for d := dir; d != mount; d = filepath.Dir(d) {
		mkdir(t, d)
		writeT(t, filepath.Join(d, "cgroup.controllers"), strings.Join(ctrls, " ")+"\n")
		writeT(t, filepath.Join(d, "cgroup.events"), "populated 0\nfrozen 0\n")
		touch(t, d, "cgroup.subtree_control", "cgroup.procs", "cgroup.freeze")
		for _, c := range ctrls {
			touch(t, d, v2Files[c]...)
		}
	}
	return dir
}

func mkdir(t *testing.T, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
}

func touch(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, f)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		writeT(t, p, "")
	}
}

func writeT(t *testing.T, p, content string) {
	t.Helper()
	mkdir(t, filepath.Dir(p))
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readT(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// copyFixtures copies testdata/<from>/* into dir.
func copyFixtures(t *testing.T, from, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", from))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeT(t, filepath.Join(dir, e.Name()), string(b))
	}
}

func ptr[T any](v T) *T { return &v }
