package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/runtime/cgroups"
	"golang.org/x/sys/unix"
)

// containerStats takes one sample. Docker's CLI computes CPU% from the
// deltas of cpu_stats between two samples it keeps itself, so PreCPUStats
// is left zero here (docker's one-shot stats does the same).
func (e *Engine) containerStats(ctx context.Context, ref string) (*ctypes.StatsResponse, error) {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	r := &ctypes.StatsResponse{ID: c.ID, Name: "/" + c.Name, OSType: "linux", Read: time.Now().UTC()}
	if !c.Running() {
		return r, nil // docker shows zeros for a stopped container
	}
	d, err := e.driverOf(c)
	if err != nil {
		return nil, err
	}
	cs, err := d.Stats(c.ID)
	if err != nil {
		return nil, fmt.Errorf("reading stats of %s: %w", c.ID, err)
	}
	fillStats(r, cs, hostInfo())
	if c.State.Pid > 0 {
		if nets, err := readNetDev(filepath.Join("/proc", strconv.Itoa(c.State.Pid), "net", "dev")); err == nil {
			r.Networks = nets
		}
	}
	return r, nil
}

// hostFacts are the host numbers docker's stats report beside the cgroup's.
type hostFacts struct {
	systemCPU  uint64 // ns of CPU time of the whole host (/proc/stat)
	onlineCPUs uint32
	totalMem   uint64
}

func hostInfo() hostFacts {
	h := hostFacts{onlineCPUs: uint32(onlineCPUs())}
	if f, err := os.Open("/proc/stat"); err == nil {
		h.systemCPU, _ = systemCPUUsage(f)
		f.Close()
	}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		h.totalMem = uint64(si.Totalram) * uint64(si.Unit)
	}
	return h
}

func onlineCPUs() int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) == nil {
		return set.Count()
	}
	return 1
}

// fillStats converts the cgroup sample into docker's shape.
func fillStats(r *ctypes.StatsResponse, s *cgroups.Stats, h hostFacts) {
	r.CPUStats = ctypes.CPUStats{
		CPUUsage: ctypes.CPUUsage{
			TotalUsage:        s.CPU.Usage.Total,
			PercpuUsage:       s.CPU.Usage.Percpu,
			UsageInKernelmode: s.CPU.Usage.Kernel,
			UsageInUsermode:   s.CPU.Usage.User,
		},
		SystemUsage: h.systemCPU,
		OnlineCPUs:  h.onlineCPUs,
		ThrottlingData: ctypes.ThrottlingData{
			Periods:          s.CPU.Throttling.Periods,
			ThrottledPeriods: s.CPU.Throttling.ThrottledPeriods,
			ThrottledTime:    s.CPU.Throttling.ThrottledTime,
		},
	}
	limit := s.Memory.Usage.Limit
	// An unlimited cgroup reports 0 or a huge sentinel; docker shows the
	// host's memory instead.
	if limit == 0 || (h.totalMem > 0 && limit > h.totalMem) {
		limit = h.totalMem
	}
	stats := map[string]uint64{}
	for k, v := range s.Memory.Raw {
		stats[k] = v
	}
	if _, ok := stats["cache"]; !ok && s.Memory.Cache > 0 {
		stats["cache"] = s.Memory.Cache
	}
	r.MemoryStats = ctypes.MemoryStats{
		Usage: s.Memory.Usage.Usage, MaxUsage: s.Memory.Usage.Max,
		Failcnt: s.Memory.Usage.Failcnt, Limit: limit, Stats: stats,
	}
	r.PidsStats = ctypes.PidsStats{Current: s.Pids.Current, Limit: s.Pids.Limit}
	r.BlkioStats = ctypes.BlkioStats{
		IoServiceBytesRecursive: blkio(s.Blkio.IoServiceBytesRecursive),
		IoServicedRecursive:     blkio(s.Blkio.IoServicedRecursive),
	}
	r.NumProcs = 0 // docker leaves it 0 on Linux
}

func blkio(in []cgroups.BlkioEntry) []ctypes.BlkioStatEntry {
	if in == nil {
		return nil
	}
	out := make([]ctypes.BlkioStatEntry, len(in))
	for i, e := range in {
		out[i] = ctypes.BlkioStatEntry{Major: e.Major, Minor: e.Minor, Op: e.Op, Value: e.Value}
	}
	return out
}

// systemCPUUsage sums the first "cpu" line of /proc/stat (user … steal, in
// USER_HZ ticks) as nanoseconds, as docker's daemon does.
func systemCPUUsage(r io.Reader) (uint64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "cpu" {
			continue
		}
		if len(f) < 8 {
			return 0, fmt.Errorf("/proc/stat: short cpu line")
		}
		var ticks uint64
		for _, v := range f[1:8] {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/stat: %w", err)
			}
			ticks += n
		}
		const userHZ = 100
		return ticks * (uint64(time.Second) / userHZ), nil
	}
	return 0, fmt.Errorf("/proc/stat: no cpu line")
}

// readNetDev reads a network namespace's counters (its /proc/<pid>/net/dev),
// leaving out lo as docker does.
func readNetDev(path string) (map[string]ctypes.NetworkStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseNetDev(f)
}

func parseNetDev(r io.Reader) (map[string]ctypes.NetworkStats, error) {
	out := map[string]ctypes.NetworkStats{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		name = strings.TrimSpace(name)
		if !ok || name == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 16 {
			continue
		}
		n := make([]uint64, 16)
		for i := range n {
			n[i], _ = strconv.ParseUint(f[i], 10, 64)
		}
		out[name] = ctypes.NetworkStats{
			RxBytes: n[0], RxPackets: n[1], RxErrors: n[2], RxDropped: n[3],
			TxBytes: n[8], TxPackets: n[9], TxErrors: n[10], TxDropped: n[11],
		}
	}
	return out, sc.Err()
}
