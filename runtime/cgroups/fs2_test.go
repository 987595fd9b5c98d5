//go:build linux

package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var allV2 = []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}

func newV2Cgroup(t *testing.T, p string) (*fakeHost, Manager, string) {
	t.Helper()
	f := newFakeV2(t, allV2...)
	dir := f.makeV2Cgroup(t, f.root, p, allV2...)
	m, err := New("/"+p, "c1", f.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	return f, m, dir
}

func TestV2ApplyEnablesControllers(t *testing.T) {
	f := newFakeV2(t, allV2...)
	f.makeV2Cgroup(t, f.root, "onggi", allV2...)
	m, err := New("/onggi/c1", "c1", f.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	// The fake cannot populate the directory Apply makes, so moving the pid
	// in fails; by then the controllers are enabled, and the failed Apply
	// removes the directory it made.
	if err := m.Apply(777); !errors.Is(err, ErrNotAvailable) {
		t.Fatalf("Apply on the fake: err = %v; want ErrNotAvailable for the missing cgroup.procs", err)
	}
	want := "+cpuset +cpu +io +memory +hugetlb +pids"
	for _, d := range []string{f.root, filepath.Join(f.root, "onggi")} {
		if got := readT(t, filepath.Join(d, "cgroup.subtree_control")); got != want {
			t.Errorf("%s/cgroup.subtree_control = %q; want %q", d, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(f.root, "onggi/c1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed Apply left its directory behind: %v", err)
	}
	// Exec into an existing cgroup only moves the pid.
	dir := f.makeV2Cgroup(t, f.root, "onggi/c1", allV2...)
	writeT(t, filepath.Join(f.root, "cgroup.subtree_control"), "")
	if err := m.Apply(778); err != nil {
		t.Fatal(err)
	}
	if got := readT(t, filepath.Join(dir, "cgroup.procs")); got != "778" {
		t.Errorf("cgroup.procs = %q", got)
	}
	if got := readT(t, filepath.Join(f.root, "cgroup.subtree_control")); got != "" {
		t.Errorf("exec Apply rewrote the root's subtree_control: %q", got)
	}
}

func TestV2SetFullResources(t *testing.T) {
	_, m, dir := newV2Cgroup(t, "onggi/c1")
	r := fullResources()
	r.Devices, r.Network = nil, nil                        // eBPF: see the root test; no net_cls on v2
	r.CPU.RealtimePeriod, r.CPU.RealtimeRuntime = nil, nil // no v2 interface
	r.Unified = map[string]string{"memory.high": "90000000", "pids.max": "70"}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cpuset.cpus":     "0-1",
		"cpuset.mems":     "0",
		"memory.max":      "104857600",
		"memory.swap.max": "104857600", // swap 200M - limit 100M
		"memory.low":      "52428800",
		"cpu.weight":      "20", // 1 + (512-2)*9999/262142
		"cpu.max":         "50000 100000",
		"cpu.max.burst":   "1000",
		"cpu.idle":        "0",
		"pids.max":        "70",            // unified is written last, over pids.limit
		"io.weight":       "8:0 5960",      // weightDevice, written after the default
		"io.max":          "8:0 wiops=200", // last of four writes
		"hugetlb.2MB.max": "4194304",
		"memory.high":     "90000000",
	}
	for file, v := range want {
		if got := readT(t, filepath.Join(dir, file)); got != v {
			t.Errorf("%s = %q; want %q", file, got, v)
		}
	}
}

func TestV2IODefaultWeight(t *testing.T) {
	_, m, dir := newV2Cgroup(t, "onggi/w")
	if err := m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](500)}}); err != nil {
		t.Fatal(err)
	}
	if got := readT(t, filepath.Join(dir, "io.weight")); got != "default 4950" {
		t.Errorf("io.weight = %q; want %q", got, "default 4950")
	}
	// With BFQ loaded the weight goes, unconverted, to io.bfq.weight.
	touch(t, dir, "io.bfq.weight")
	if err := m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](500)}}); err != nil {
		t.Fatal(err)
	}
	if got := readT(t, filepath.Join(dir, "io.bfq.weight")); got != "default 500" {
		t.Errorf("io.bfq.weight = %q; want %q", got, "default 500")
	}
}

func TestV2Refusals(t *testing.T) {
	_, m, dir := newV2Cgroup(t, "onggi/c2")
	for name, r := range map[string]*specs.LinuxResources{
		"realtime": {CPU: &specs.LinuxCPU{RealtimeRuntime: ptr[int64](10)}},
		"net_cls":  {Network: &specs.LinuxNetwork{ClassID: ptr[uint32](1)}},
	} {
		if err := m.Set(r); !errors.Is(err, ErrNotAvailable) {
			t.Errorf("%s: err = %v; want ErrNotAvailable", name, err)
		}
	}
	for _, k := range []string{"../x.max", "a/b", "noDot", "cgroup.procs", ""} {
		if err := m.Set(&specs.LinuxResources{Unified: map[string]string{k: "1"}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unified key %q: err = %v; want ErrInvalid", k, err)
		}
	}
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: ptr[int64](100)}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("swap without limit: err = %v; want ErrInvalid", err)
	}
	// A controller the parent did not delegate.
	writeT(t, filepath.Join(dir, "cgroup.controllers"), "cpu\n")
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](5)}}); !errors.Is(err, ErrNotAvailable) {
		t.Errorf("pids not delegated: err = %v; want ErrNotAvailable", err)
	}
}

func TestV2SwapAndLimitsEdgeValues(t *testing.T) {
	_, m, dir := newV2Cgroup(t, "onggi/c3")
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr[int64](-1), Swap: ptr[int64](-1)},
		CPU:    &specs.LinuxCPU{Quota: ptr[int64](-1), Period: ptr[uint64](50000)},
		Pids:   &specs.LinuxPids{Limit: ptr[int64](0)},
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	for file, v := range map[string]string{"memory.max": "max", "memory.swap.max": "max", "cpu.max": "max 50000", "pids.max": "max"} {
		if got := readT(t, filepath.Join(dir, file)); got != v {
			t.Errorf("%s = %q; want %q", file, got, v)
		}
	}
}

func TestConversions(t *testing.T) {
	for shares, w := range map[uint64]uint64{0: 0, 2: 1, 1024: 39, 262144: 10000, 512: 20} {
		if got := SharesToWeight(shares); got != w {
			t.Errorf("SharesToWeight(%d) = %d; want %d", shares, got, w)
		}
	}
	for bw, w := range map[uint64]uint64{0: 0, 10: 1, 1000: 10000, 500: 4950} {
		if got := BlkioWeightToIOWeight(bw); got != w {
			t.Errorf("BlkioWeightToIOWeight(%d) = %d; want %d", bw, got, w)
		}
	}
	for _, c := range []struct {
		swap, limit int64
		want        string
		err         bool
	}{{0, 100, "", false}, {-1, 100, "max", false}, {300, 100, "200", false}, {100, 100, "0", false},
		{50, 100, "", true}, {100, 0, "", true}, {100, -1, "", true}} {
		got, err := swapToV2(c.swap, c.limit)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("swapToV2(%d, %d) = %q, %v", c.swap, c.limit, got, err)
		}
	}
}

func TestV2FreezeWaitsForEvents(t *testing.T) {
	_, m, dir := newV2Cgroup(t, "onggi/fz")
	// The fake kernel: when cgroup.freeze says 1, report frozen a moment
	// later, as the real one does once every task has stopped.
	done := make(chan error, 1)
	go func() {
		for {
			b, err := os.ReadFile(filepath.Join(dir, "cgroup.freeze"))
			if err != nil {
				done <- err
				return
			}
			if string(b) == "1" {
				done <- os.WriteFile(filepath.Join(dir, "cgroup.events"), []byte("populated 1\nfrozen 1\n"), 0o644)
				return
			}
			select {
			case <-t.Context().Done():
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := readT(t, filepath.Join(dir, "cgroup.events")); got != "populated 1\nfrozen 1" {
		t.Errorf("Freeze returned before the cgroup was frozen: events %q", got)
	}
	// Thaw: the fake reports the change before the write here.
	writeT(t, filepath.Join(dir, "cgroup.events"), "populated 1\nfrozen 0\n")
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if got := readT(t, filepath.Join(dir, "cgroup.freeze")); got != "0" {
		t.Errorf("cgroup.freeze = %q after Thaw", got)
	}
}

func TestV2Stats(t *testing.T) {
	f := newFakeV2(t, allV2...)
	dir := filepath.Join(f.root, "onggi/st")
	copyFixtures(t, "v2", dir)
	m, _ := New("/onggi/st", "st", f.opts()...)
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU.Usage.Total != 53812000 || s.CPU.Usage.User != 33411000 || s.CPU.Usage.Kernel != 20401000 ||
		s.CPU.Throttling != (Throttling{120, 7, 93417000}) {
		t.Errorf("cpu = %+v", s.CPU)
	}
	if s.Memory.Usage != (MemoryEntry{Limit: 104857600, Usage: 2920448, Max: 3411968, Failcnt: 5}) ||
		s.Memory.Swap != (MemoryEntry{Limit: 209715200, Usage: 2924544}) ||
		s.Memory.Cache != 1466368 || s.Memory.Raw["anon"] != 1138688 {
		t.Errorf("memory = %+v", s.Memory)
	}
	if s.Pids != (Pids{Current: 3}) {
		t.Errorf("pids = %+v", s.Pids)
	}
	wantBytes := []BlkioEntry{{8, 0, "Read", 1302528}, {8, 0, "Write", 4096}, {8, 0, "Discard", 0},
		{253, 1, "Read", 512}, {253, 1, "Write", 0}, {253, 1, "Discard", 0}}
	if !reflect.DeepEqual(s.Blkio.IoServiceBytesRecursive, wantBytes) {
		t.Errorf("io bytes = %+v", s.Blkio.IoServiceBytesRecursive)
	}
	if s.Blkio.IoServicedRecursive[0] != (BlkioEntry{8, 0, "Read", 41}) {
		t.Errorf("io ops = %+v", s.Blkio.IoServicedRecursive)
	}
	if s.Hugetlb["2MB"] != (Hugetlb{Usage: 2097152, Failcnt: 2}) {
		t.Errorf("hugetlb = %+v", s.Hugetlb)
	}
}
