//go:build linux

package cgroups

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fullResources sets every field onggi maps to a file.
func fullResources() *specs.LinuxResources {
	return &specs.LinuxResources{
		Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](136), Access: "rw"},
		},
		Memory: &specs.LinuxMemory{
			Limit: ptr[int64](100 << 20), Reservation: ptr[int64](50 << 20), Swap: ptr[int64](200 << 20),
			Kernel: ptr[int64](1 << 20), Swappiness: ptr[uint64](10), DisableOOMKiller: ptr(true),
			UseHierarchy: ptr(true),
		},
		CPU: &specs.LinuxCPU{
			Shares: ptr[uint64](512), Quota: ptr[int64](50000), Period: ptr[uint64](100000),
			Burst: ptr[uint64](1000), RealtimeRuntime: ptr[int64](950), RealtimePeriod: ptr[uint64](1000),
			Cpus: "0-1", Mems: "0", Idle: ptr[int64](0),
		},
		Pids: &specs.LinuxPids{Limit: ptr[int64](64)},
		BlockIO: &specs.LinuxBlockIO{
			Weight: ptr[uint16](500), LeafWeight: ptr[uint16](300),
			WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0},
				Weight: ptr[uint16](600), LeafWeight: ptr[uint16](200)}},
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1048576}},
			ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 2097152}},
			ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 100}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 200}},
		},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
		Network: &specs.LinuxNetwork{ClassID: ptr[uint32](0x100001),
			Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}},
	}
}

func TestV1SetFullResources(t *testing.T) {
	f := newFakeV1(t, true, false) // this host's layout: hugetlb on cgroup2
	f.makeV1Cgroup(t, "onggi/c1")
	m, err := New("/onggi/c1", "c1", f.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(4242); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(fullResources()); err != nil {
		t.Fatal(err)
	}
	r := f.root
	want := map[string]string{
		"cpu,cpuacct/onggi/c1/cgroup.procs":               "4242",
		"memory/onggi/c1/cgroup.procs":                    "4242",
		"systemd/onggi/c1/cgroup.procs":                   "4242",
		"unified/onggi/c1/cgroup.procs":                   "4242",
		"cpuset/onggi/c1/cpuset.cpus":                     "0-1",
		"cpuset/onggi/c1/cpuset.mems":                     "0",
		"devices/onggi/c1/devices.deny":                   "a *:* rwm",
		"devices/onggi/c1/devices.allow":                  "c 136:* rw", // the last of two writes
		"memory/onggi/c1/memory.limit_in_bytes":           "104857600",
		"memory/onggi/c1/memory.memsw.limit_in_bytes":     "209715200",
		"memory/onggi/c1/memory.soft_limit_in_bytes":      "52428800",
		"memory/onggi/c1/memory.swappiness":               "10",
		"memory/onggi/c1/memory.oom_control":              "1",
		"memory/onggi/c1/memory.use_hierarchy":            "1",
		"cpu,cpuacct/onggi/c1/cpu.shares":                 "512",
		"cpu,cpuacct/onggi/c1/cpu.cfs_quota_us":           "50000",
		"cpu,cpuacct/onggi/c1/cpu.cfs_period_us":          "100000",
		"cpu,cpuacct/onggi/c1/cpu.cfs_burst_us":           "1000",
		"cpu,cpuacct/onggi/c1/cpu.rt_runtime_us":          "950",
		"cpu,cpuacct/onggi/c1/cpu.rt_period_us":           "1000",
		"cpu,cpuacct/onggi/c1/cpu.idle":                   "0",
		"pids/onggi/c1/pids.max":                          "64",
		"blkio/onggi/c1/blkio.weight":                     "500",
		"blkio/onggi/c1/blkio.leaf_weight":                "300",
		"blkio/onggi/c1/blkio.weight_device":              "8:0 600",
		"blkio/onggi/c1/blkio.leaf_weight_device":         "8:0 200",
		"blkio/onggi/c1/blkio.throttle.read_bps_device":   "8:0 1048576",
		"blkio/onggi/c1/blkio.throttle.write_bps_device":  "8:0 2097152",
		"blkio/onggi/c1/blkio.throttle.read_iops_device":  "8:0 100",
		"blkio/onggi/c1/blkio.throttle.write_iops_device": "8:0 200",
		"net_cls,net_prio/onggi/c1/net_cls.classid":       "1048577",
		"net_cls,net_prio/onggi/c1/net_prio.ifpriomap":    "eth0 5",
		"unified/onggi/c1/hugetlb.2MB.max":                "4194304",
		"unified/onggi/c1/hugetlb.1GB.max":                "",
	}
	for file, v := range want {
		if got := readT(t, filepath.Join(r, file)); got != v {
			t.Errorf("%s = %q; want %q", file, got, v)
		}
	}
}

func TestV1DeviceRuleOrder(t *testing.T) {
	got, err := devicesV1Writes(fullResources().Devices)
	if err != nil {
		t.Fatal(err)
	}
	want := []fileWrite{{"devices.deny", "a *:* rwm"}, {"devices.allow", "c 1:3 rwm"}, {"devices.allow", "c 136:* rw"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("writes = %v; want %v", got, want)
	}
	if _, err := devicesV1Writes([]specs.LinuxDeviceCgroup{{Type: "x"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad type: err = %v; want ErrInvalid", err)
	}
	if _, err := devicesV1Writes([]specs.LinuxDeviceCgroup{{Type: "c", Access: "rx"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad access: err = %v; want ErrInvalid", err)
	}
}

func TestV1Errors(t *testing.T) {
	f := newFakeV1(t, false, false) // legacy, no hugetlb at all
	f.makeV1Cgroup(t, "onggi/e")
	m, err := New("/onggi/e", "e", f.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	err = m.Set(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}}})
	if !errors.Is(err, ErrNotAvailable) {
		t.Errorf("hugetlb without a hierarchy: err = %v; want ErrNotAvailable", err)
	}
	if err := m.Set(&specs.LinuxResources{Unified: map[string]string{"pids.max": "1"}}); !errors.Is(err, ErrNotAvailable) {
		t.Errorf("unified on v1: err = %v; want ErrNotAvailable", err)
	}
	// A missing control file names the file and the value.
	dir := m.Paths()["pids"]
	if err := removeFile(dir, "pids.max"); err != nil {
		t.Fatal(err)
	}
	err = m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](-1)}})
	if want := `writing "max" to ` + dir + `/pids.max: cgroup controller not available`; err == nil || err.Error() != want {
		t.Errorf("err = %v; want %s", err, want)
	}
	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](200), Swap: ptr[int64](100)}})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("swap < limit: err = %v; want ErrInvalid", err)
	}
}

func TestV1MemoryGrowWritesSwapFirst(t *testing.T) {
	f := newFakeV1(t, false, true)
	f.makeV1Cgroup(t, "onggi/g")
	m, _ := New("/onggi/g", "g", f.opts()...)
	dir := m.Paths()["memory"]
	// Shrinking (current limit huge): limit first, then memsw; growing from
	// a small limit: memsw first. Both orders end with the same files, so
	// make memsw unwritable and see which write happens first.
	writeT(t, filepath.Join(dir, "memory.limit_in_bytes"), "1000\n")
	if err := removeFile(dir, "memory.memsw.limit_in_bytes"); err != nil {
		t.Fatal(err)
	}
	mkdir(t, filepath.Join(dir, "memory.memsw.limit_in_bytes")) // exists, but cannot be opened for writing
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](5000), Swap: ptr[int64](6000)}})
	if err == nil {
		t.Fatal("expected the memsw write to fail")
	}
	if got := readT(t, filepath.Join(dir, "memory.limit_in_bytes")); got != "1000" {
		t.Errorf("growing: memory.limit_in_bytes written before memsw (now %q)", got)
	}
	_ = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](500), Swap: ptr[int64](600)}})
	if got := readT(t, filepath.Join(dir, "memory.limit_in_bytes")); got != "500" {
		t.Errorf("shrinking: memory.limit_in_bytes = %q; want it written first (500)", got)
	}
}

func TestV1CpusetInheritsParent(t *testing.T) {
	f := newFakeV1(t, false, true)
	// The fake kernel has the (empty) files a real mkdir makes.
	f.makeV1Cgroup(t, "onggi2/new")
	m2, _ := New("/onggi2/new", "new", f.opts()...)
	if _, err := mkdirCpuset(m2.Paths()["cpuset"]); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"onggi2/cpuset.cpus", "onggi2/new/cpuset.cpus"} {
		if got := readT(t, filepath.Join(f.root, "cpuset", file)); got != "0-1" {
			t.Errorf("%s = %q; want parent's 0-1", file, got)
		}
	}
	if got := readT(t, filepath.Join(f.root, "cpuset/onggi2/new/cpuset.mems")); got != "0" {
		t.Errorf("cpuset.mems = %q; want 0", got)
	}
}

func TestV1Stats(t *testing.T) {
	f := newFakeV1(t, false, true)
	m, _ := New("/onggi/s", "s", f.opts()...)
	for _, c := range []string{"cpu", "cpuset", "memory", "pids", "blkio", "hugetlb"} {
		copyFixtures(t, "v1", m.Paths()[c])
	}
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU.Usage.Total != 53812375 || s.CPU.Usage.User != 30000000 || s.CPU.Usage.Kernel != 20000000 ||
		!reflect.DeepEqual(s.CPU.Usage.Percpu, []uint64{30411245, 23401130}) ||
		!reflect.DeepEqual(s.CPU.Usage.PercpuKernel, []uint64{10000000, 0}) {
		t.Errorf("cpu usage = %+v", s.CPU.Usage)
	}
	if s.CPU.Throttling != (Throttling{120, 7, 93417022}) {
		t.Errorf("throttling = %+v", s.CPU.Throttling)
	}
	if s.Memory.Usage != (MemoryEntry{Limit: 104857600, Usage: 2605056, Max: 3411968, Failcnt: 3}) ||
		s.Memory.Swap.Limit != 209715200 || s.Memory.Cache != 1466368 || s.Memory.Raw["total_rss"] != 1138688 {
		t.Errorf("memory = %+v", s.Memory)
	}
	if s.Pids != (Pids{3, 100}) {
		t.Errorf("pids = %+v", s.Pids)
	}
	wantIO := []BlkioEntry{{8, 0, "Read", 1302528}, {8, 0, "Write", 4096}, {8, 0, "Sync", 1306624},
		{8, 0, "Async", 0}, {8, 0, "Discard", 0}, {8, 0, "Total", 1306624}}
	if !reflect.DeepEqual(s.Blkio.IoServiceBytesRecursive, wantIO) || len(s.Blkio.IoServicedRecursive) != 6 {
		t.Errorf("blkio = %+v", s.Blkio)
	}
	if s.Hugetlb["2MB"] != (Hugetlb{2097152, 4194304, 1}) {
		t.Errorf("hugetlb = %+v", s.Hugetlb)
	}
	if !reflect.DeepEqual(s.CPUSet.CPUs, []uint16{0, 1}) {
		t.Errorf("cpuset = %+v", s.CPUSet)
	}
	// The JSON is runc's events --stats "data" shape.
	b, _ := json.Marshal(s)
	var generic map[string]any
	_ = json.Unmarshal(b, &generic)
	mem := generic["memory"].(map[string]any)
	usage := mem["usage"].(map[string]any)
	if usage["limit"] != float64(104857600) || generic["pids"].(map[string]any)["current"] != float64(3) {
		t.Errorf("json = %s", b)
	}
	if _, ok := generic["blkio"].(map[string]any)["ioServiceBytesRecursive"]; !ok {
		t.Errorf("json lacks blkio.ioServiceBytesRecursive: %s", b)
	}
}

func TestRdmaAndCheckBeforeUpdate(t *testing.T) {
	f := newFakeV2(t, "rdma", "memory")
	dir := f.makeV2Cgroup(t, f.root, "onggi/r", "memory")
	touch(t, dir, "rdma.max", "memory.current")
	writeT(t, filepath.Join(dir, "cgroup.controllers"), "rdma memory\n")
	writeT(t, filepath.Join(dir, "memory.current"), "5000\n")
	m, _ := New("/onggi/r", "r", f.opts()...)
	err := m.Set(&specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: ptr[uint32](3)}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := readT(t, filepath.Join(dir, "rdma.max")); got != "mlx5_0 hca_handle=3 hca_object=max" {
		t.Errorf("rdma.max = %q", got)
	}
	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](4000), CheckBeforeUpdate: ptr(true)}})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("limit below usage with checkBeforeUpdate: err = %v; want ErrInvalid", err)
	}
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](6000), CheckBeforeUpdate: ptr(true)}}); err != nil {
		t.Fatal(err)
	}
	if got := readT(t, filepath.Join(dir, "memory.max")); got != "6000" {
		t.Errorf("memory.max = %q", got)
	}
}

func TestV1HierarchiesFromMountinfo(t *testing.T) {
	f := newFakeV1(t, true, true)
	hs, err := V1Hierarchies(f.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hs {
		got = append(got, filepath.Base(h.Mountpoint)+"="+strings.Join(h.Controllers, "+"))
	}
	want := []string{"systemd=name=systemd", "cpu,cpuacct=cpu+cpuacct", "cpuset=cpuset", "memory=memory",
		"devices=devices", "freezer=freezer", "blkio=blkio", "pids=pids", "net_cls,net_prio=net_cls+net_prio",
		"perf_event=perf_event", "hugetlb=hugetlb"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hierarchies = %v; want %v", got, want)
	}
}

// TestV1BlkioWeightZeroIsUnset: dockerd sends blockIO.weight 0 on every
// create meaning "not set"; the kernel refuses 0 (range 1-1000), so writing
// it would make every docker run fail.
func TestV1BlkioWeightZeroIsUnset(t *testing.T) {
	f := newFakeV1(t, false, true)
	f.makeV1Cgroup(t, "onggi/z")
	m, _ := New("/onggi/z", "z", f.opts()...)
	dir := m.Paths()["blkio"]
	writeT(t, filepath.Join(dir, "blkio.weight"), "500\n")
	writeT(t, filepath.Join(dir, "blkio.leaf_weight"), "500\n")
	zero := ptr[uint16](0)
	if err := m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: zero, LeafWeight: zero}}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"blkio.weight", "blkio.leaf_weight"} {
		if got := readT(t, filepath.Join(dir, f)); got != "500" {
			t.Errorf("%s = %q; a zero weight must leave it alone", f, got)
		}
	}
}
