package engine

import (
	"strings"
	"testing"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/runtime/cgroups"
)

func TestStatsConversion(t *testing.T) {
	cs := &cgroups.Stats{
		CPU: cgroups.CPU{Usage: cgroups.CPUUsage{Total: 5e9, Kernel: 1e9, User: 4e9}},
		Memory: cgroups.Memory{
			Usage: cgroups.MemoryEntry{Usage: 10 << 20, Limit: 0},
			Raw:   map[string]uint64{"inactive_file": 1 << 20, "anon": 8 << 20},
		},
		Pids:  cgroups.Pids{Current: 3, Limit: 100},
		Blkio: cgroups.Blkio{IoServiceBytesRecursive: []cgroups.BlkioEntry{{Major: 8, Op: "read", Value: 4096}}},
	}
	h := hostFacts{systemCPU: 1e12, onlineCPUs: 4, totalMem: 8 << 30}
	var r = newStatsForTest()
	fillStats(r, cs, h)
	if r.CPUStats.CPUUsage.TotalUsage != 5e9 || r.CPUStats.SystemUsage != 1e12 || r.CPUStats.OnlineCPUs != 4 {
		t.Fatalf("cpu %+v", r.CPUStats)
	}
	if r.MemoryStats.Usage != 10<<20 || r.MemoryStats.Limit != 8<<30 || r.MemoryStats.Stats["inactive_file"] != 1<<20 {
		t.Fatalf("memory %+v", r.MemoryStats)
	}
	if r.PidsStats.Current != 3 || r.PidsStats.Limit != 100 || len(r.BlkioStats.IoServiceBytesRecursive) != 1 {
		t.Fatalf("pids/blkio %+v %+v", r.PidsStats, r.BlkioStats)
	}
	cs.Memory.Usage.Limit = 64 << 20
	fillStats(r, cs, h)
	if r.MemoryStats.Limit != 64<<20 {
		t.Fatalf("limit %d", r.MemoryStats.Limit)
	}
}

func TestSystemCPUUsageAndNetDev(t *testing.T) {
	n, err := systemCPUUsage(strings.NewReader("cpu  100 0 50 1000 10 0 5 0 0 0\ncpu0 1 2 3 4 5 6 7 0 0 0\n"))
	if err != nil || n != 1165*uint64(time.Second/100) {
		t.Fatalf("system cpu %d %v", n, err)
	}
	dev := `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0:    2000      20    1    2    0     0          0         0     3000      30    3    4    0     0       0          0
`
	nets, err := parseNetDev(strings.NewReader(dev))
	if err != nil || len(nets) != 1 {
		t.Fatalf("nets %v %v", nets, err)
	}
	e := nets["eth0"]
	if e.RxBytes != 2000 || e.RxPackets != 20 || e.RxErrors != 1 || e.RxDropped != 2 || e.TxBytes != 3000 || e.TxDropped != 4 {
		t.Fatalf("eth0 %+v", e)
	}
}

func newStatsForTest() *ctypes.StatsResponse { return &ctypes.StatsResponse{} }
