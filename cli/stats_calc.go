package cli

import (
	"fmt"
	"strings"

	units "github.com/docker/go-units"
	ctypes "github.com/moby/moby/api/types/container"
)

// statsEntry is one container's numbers, computed as docker's CLI does.
type statsEntry struct {
	container  string // the name or ID the user gave (docker's .Container)
	name, id   string
	cpuPercent float64
	memory     float64
	memLimit   float64
	memPercent float64
	netRx      float64
	netTx      float64
	blkRead    float64
	blkWrite   float64
	pids       uint64
	invalid    bool // the container could not be read (docker shows "--")
}

// calculateStats turns a reading (and the previous CPU counters) into an
// entry. prev may be nil: then the reading's own precpu counters are used.
func calculateStats(cur *ctypes.StatsResponse, prev *ctypes.CPUStats) statsEntry {
	pre := cur.PreCPUStats
	if prev != nil {
		pre = *prev
	}
	mem := memUsageNoCache(cur.MemoryStats)
	s := statsEntry{
		cpuPercent: cpuPercent(pre, cur.CPUStats),
		memory:     mem,
		memLimit:   float64(cur.MemoryStats.Limit),
		pids:       cur.PidsStats.Current,
	}
	if s.memLimit != 0 {
		s.memPercent = mem / s.memLimit * 100
	}
	for _, n := range cur.Networks {
		s.netRx += float64(n.RxBytes)
		s.netTx += float64(n.TxBytes)
	}
	for _, b := range cur.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(b.Op) {
		case "read":
			s.blkRead += float64(b.Value)
		case "write":
			s.blkWrite += float64(b.Value)
		}
	}
	return s
}

// cpuPercent is docker's calculateCPUPercentUnix: the container's share
// of all CPU time between two readings, scaled so one busy core is 100%.
func cpuPercent(pre, cur ctypes.CPUStats) float64 {
	cpuDelta := float64(cur.CPUUsage.TotalUsage) - float64(pre.CPUUsage.TotalUsage)
	sysDelta := float64(cur.SystemUsage) - float64(pre.SystemUsage)
	online := float64(cur.OnlineCPUs)
	if online == 0 {
		online = float64(len(cur.CPUUsage.PercpuUsage))
	}
	if sysDelta > 0 && cpuDelta > 0 {
		return cpuDelta / sysDelta * online * 100
	}
	return 0
}

// memUsageNoCache is docker's calculateMemUsageUnixNoCache: page cache
// that could be dropped (inactive file pages) is not the container's use.
func memUsageNoCache(m ctypes.MemoryStats) float64 {
	if v, ok := m.Stats["total_inactive_file"]; ok && v < m.Usage { // cgroup v1
		return float64(m.Usage - v)
	}
	if v := m.Stats["inactive_file"]; v < m.Usage { // cgroup v2
		return float64(m.Usage - v)
	}
	return float64(m.Usage)
}

// statsRow is one line of stats with docker's --format field names.
type statsRow struct {
	BlockIO   string
	CPUPerc   string
	Container string
	ID        string
	MemPerc   string
	MemUsage  string
	Name      string
	NetIO     string
	PIDs      string
}

var statsHeader = statsRow{
	BlockIO: "BLOCK I/O", CPUPerc: "CPU %", Container: "CONTAINER", ID: "CONTAINER ID", MemPerc: "MEM %",
	MemUsage: "MEM USAGE / LIMIT", Name: "NAME", NetIO: "NET I/O", PIDs: "PIDS",
}

const statsDefaultFormat = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// row renders the entry as docker's stats formatter does.
func (s statsEntry) row(trunc bool) statsRow {
	r := statsRow{Container: s.container, ID: s.id, Name: strings.TrimPrefix(s.name, "/")}
	if trunc {
		r.ID = shortID(s.id)
	}
	if r.Name == "" {
		r.Name = "--"
	}
	if s.invalid {
		r.CPUPerc, r.MemUsage, r.MemPerc, r.PIDs = "--", "-- / --", "--", "--"
		r.NetIO, r.BlockIO = "--", "--"
		return r
	}
	r.CPUPerc = fmt.Sprintf("%.2f%%", s.cpuPercent)
	r.MemUsage = units.BytesSize(s.memory) + " / " + units.BytesSize(s.memLimit)
	r.MemPerc = fmt.Sprintf("%.2f%%", s.memPercent)
	r.NetIO = units.HumanSizeWithPrecision(s.netRx, 3) + " / " + units.HumanSizeWithPrecision(s.netTx, 3)
	r.BlockIO = units.HumanSizeWithPrecision(s.blkRead, 3) + " / " + units.HumanSizeWithPrecision(s.blkWrite, 3)
	r.PIDs = fmt.Sprintf("%d", s.pids)
	return r
}
