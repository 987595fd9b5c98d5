package cli

import (
	"bytes"
	"math"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
)

func TestStatsCalculations(t *testing.T) {
	cur := &ctypes.StatsResponse{
		CPUStats:    ctypes.CPUStats{CPUUsage: ctypes.CPUUsage{TotalUsage: 300_000_000}, SystemUsage: 4_000_000_000, OnlineCPUs: 2},
		PreCPUStats: ctypes.CPUStats{CPUUsage: ctypes.CPUUsage{TotalUsage: 100_000_000}, SystemUsage: 2_000_000_000},
		MemoryStats: ctypes.MemoryStats{Usage: 10 << 20, Limit: 100 << 20, Stats: map[string]uint64{"inactive_file": 2 << 20}},
		Networks:    map[string]ctypes.NetworkStats{"eth0": {RxBytes: 1500, TxBytes: 500}, "eth1": {RxBytes: 500}},
		BlkioStats: ctypes.BlkioStats{IoServiceBytesRecursive: []ctypes.BlkioStatEntry{
			{Op: "read", Value: 4096}, {Op: "Write", Value: 8192}, {Op: "read", Value: 4096}, {Op: "sync", Value: 1},
		}},
		PidsStats: ctypes.PidsStats{Current: 3},
	}
	s := calculateStats(cur, nil)
	// (200M / 2000M) * 2 cpus * 100 = 20%
	if math.Abs(s.cpuPercent-20) > 1e-9 {
		t.Errorf("cpu %v", s.cpuPercent)
	}
	if s.memory != 8<<20 || math.Abs(s.memPercent-8) > 1e-9 {
		t.Errorf("mem %v %v", s.memory, s.memPercent)
	}
	if s.netRx != 2000 || s.netTx != 500 || s.blkRead != 8192 || s.blkWrite != 8192 || s.pids != 3 {
		t.Errorf("io %+v", s)
	}
	prev := ctypes.CPUStats{CPUUsage: ctypes.CPUUsage{TotalUsage: 300_000_000}, SystemUsage: 3_000_000_000}
	if got := calculateStats(cur, &prev).cpuPercent; got != 0 {
		t.Errorf("no cpu delta: %v", got)
	}
	s.id, s.name = "4f66ad9a0b2e5f8b1e3c7a9d", "/web"
	r := s.row(true)
	want := statsRow{ID: "4f66ad9a0b2e", Name: "web", CPUPerc: "20.00%", MemUsage: "8MiB / 100MiB", MemPerc: "8.00%",
		NetIO: "2kB / 500B", BlockIO: "8.19kB / 8.19kB", PIDs: "3"}
	if r != want {
		t.Errorf("row %+v\nwant %+v", r, want)
	}
}

func TestStatsMemCgroupV1(t *testing.T) {
	m := ctypes.MemoryStats{Usage: 1000, Stats: map[string]uint64{"total_inactive_file": 400, "inactive_file": 100}}
	if got := memUsageNoCache(m); got != 600 {
		t.Errorf("v1 %v", got)
	}
	if got := memUsageNoCache(ctypes.MemoryStats{Usage: 10, Stats: map[string]uint64{"inactive_file": 20}}); got != 10 {
		t.Errorf("cache above usage %v", got)
	}
}

func TestStatsTable(t *testing.T) {
	var buf bytes.Buffer
	s := &statsSession{o: &statsOptions{}}
	entries := []statsEntry{
		{id: "4f66ad9a0b2e5f8b", name: "web", memLimit: 1 << 30},
		{id: "0123456789abcdef", name: "gone", invalid: true},
	}
	if err := s.print(&buf, entries); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS\n" +
		"4f66ad9a0b2e   web       0.00%     0B / 1GiB           0.00%     0B / 0B   0B / 0B     0\n" +
		"0123456789ab   gone      --        -- / --             --        --        --          --\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}
