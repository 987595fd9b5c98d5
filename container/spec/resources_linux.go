package spec

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// minMemory is docker's floor for --memory and --memory-reservation: not a
// kernel limit, room for the runtime's own start-up.
const minMemory = 6 << 20

// cfsPeriod is the CFS period --cpus uses (100ms, in µs).
const cfsPeriod = 100000

// validateResources checks r with dockerd's rules and wording
// (daemon_unix.go verifyPlatformContainerResources).
func validateResources(r *ctypes.Resources) error {
	if err := validateMemory(r); err != nil {
		return err
	}
	if err := validateCPU(r); err != nil {
		return err
	}
	if r.BlkioWeight > 0 && (r.BlkioWeight < 10 || r.BlkioWeight > 1000) {
		return invalidf("Range of blkio weight is from 10 to 1000")
	}
	if r.IOMaximumBandwidth != 0 || r.IOMaximumIOps != 0 {
		return invalidf("Invalid QoS settings: %s does not support Maximum IO Bandwidth or Maximum IO IOps", runtime.GOOS)
	}
	return nil
}

func validateMemory(r *ctypes.Resources) error {
	switch {
	case r.Memory != 0 && r.Memory < minMemory:
		return invalidf("Minimum memory limit allowed is 6MB")
	case r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory:
		return invalidf("Minimum memoryswap limit should be larger than memory limit, see usage")
	case r.Memory == 0 && r.MemorySwap > 0:
		return invalidf("You should always set the Memory limit when using Memoryswap limit, see usage")
	case r.MemorySwappiness != nil && *r.MemorySwappiness != -1 && (*r.MemorySwappiness < 0 || *r.MemorySwappiness > 100):
		return invalidf("Invalid value: %v, valid memory swappiness range is 0-100", *r.MemorySwappiness)
	case r.MemoryReservation > 0 && r.MemoryReservation < minMemory:
		return invalidf("Minimum memory reservation allowed is 6MB")
	case r.Memory > 0 && r.MemoryReservation > 0 && r.Memory < r.MemoryReservation:
		return invalidf("Minimum memory limit can not be less than memory reservation limit, see usage")
	}
	return nil
}

func validateCPU(r *ctypes.Resources) error {
	switch {
	case r.CPUShares < 0:
		return invalidf("invalid CPU shares (%d): value must be a positive integer", r.CPUShares)
	case r.NanoCPUs > 0 && r.CPUPeriod > 0:
		return invalidf("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	case r.NanoCPUs > 0 && r.CPUQuota > 0:
		return invalidf("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
	case r.NanoCPUs < 0 || r.NanoCPUs > int64(runtime.NumCPU())*1e9:
		nc := runtime.NumCPU()
		return invalidf("range of CPUs is from 0.01 to %[1]d.00, as there are only %[1]d CPUs available", nc)
	case r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000):
		return invalidf("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	case r.CPUQuota > 0 && r.CPUQuota < 1000:
		return invalidf("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	}
	if err := checkCPUSet(r.CpusetCpus, "/sys/devices/system/cpu/online", "cpus", "CPUs"); err != nil {
		return err
	}
	return checkCPUSet(r.CpusetMems, "/sys/devices/system/node/online", "mems", "memory nodes")
}

// checkCPUSet verifies a --cpuset-cpus/--cpuset-mems list against what the
// host has online.
func checkCPUSet(list, onlineFile, kind, what string) error {
	if list == "" {
		return nil
	}
	want, err := parseCPUList(list)
	if err != nil {
		return invalidf("Invalid value %s for cpuset %s", list, kind)
	}
	data, err := os.ReadFile(onlineFile)
	if err != nil {
		return nil // no sysfs information: let the cgroup decide
	}
	have, err := parseCPUList(strings.TrimSpace(string(data)))
	if err != nil {
		return nil
	}
	for n := range want {
		if !have[n] {
			return invalidf("Requested %s are not available - requested %s, available: %s", what, list, strings.TrimSpace(string(data)))
		}
	}
	return nil
}

// parseCPUList parses the kernel's list format "0-3,5".
func parseCPUList(s string) (map[int]bool, error) {
	out := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, strconv.ErrSyntax
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, strconv.ErrSyntax
			}
		}
		if b-a > 1<<16 {
			return nil, strconv.ErrRange
		}
		for n := a; n <= b; n++ {
			out[n] = true
		}
	}
	return out, nil
}

// resources builds linux.resources (devices are filled by the caller).
func resources(r *ctypes.Resources) *specs.LinuxResources {
	out := &specs.LinuxResources{Memory: memory(r), CPU: cpu(r)}
	if r.PidsLimit != nil && *r.PidsLimit > 0 {
		// 0 and -1 both mean unlimited in docker's API: no pids section.
		out.Pids = &specs.LinuxPids{Limit: i64(*r.PidsLimit)}
	}
	if r.BlkioWeight > 0 && blkioWeightSupported() {
		w := r.BlkioWeight
		out.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	return out
}

func memory(r *ctypes.Resources) *specs.LinuxMemory {
	var m specs.LinuxMemory
	if r.Memory > 0 {
		m.Limit = i64(r.Memory)
	}
	if r.MemoryReservation > 0 {
		m.Reservation = i64(r.MemoryReservation)
	}
	swap := r.MemorySwap
	if r.Memory > 0 && swap == 0 {
		swap = 2 * r.Memory // docker's default: as much swap as memory
	}
	// Without swap accounting the limit cannot be written; dockerd drops
	// it with a warning and limits memory alone.
	if r.Memory > 0 && swap != 0 && swapSupported() {
		m.Swap = i64(swap)
	}
	if r.MemorySwappiness != nil && *r.MemorySwappiness >= 0 {
		s := uint64(*r.MemorySwappiness)
		m.Swappiness = &s
	}
	if r.OomKillDisable != nil && *r.OomKillDisable {
		t := true
		m.DisableOOMKiller = &t
	}
	if m == (specs.LinuxMemory{}) {
		return nil
	}
	return &m
}

func cpu(r *ctypes.Resources) *specs.LinuxCPU {
	var c specs.LinuxCPU
	if r.CPUShares > 0 {
		s := uint64(r.CPUShares)
		c.Shares = &s
	}
	c.Cpus, c.Mems = r.CpusetCpus, r.CpusetMems
	if r.NanoCPUs > 0 {
		p := uint64(cfsPeriod)
		c.Period, c.Quota = &p, i64(r.NanoCPUs*cfsPeriod/1e9)
	}
	if r.CPUPeriod > 0 {
		p := uint64(r.CPUPeriod)
		c.Period = &p
	}
	if r.CPUQuota != 0 {
		c.Quota = i64(r.CPUQuota)
	}
	if r.CPURealtimePeriod > 0 {
		p := uint64(r.CPURealtimePeriod)
		c.RealtimePeriod = &p
	}
	if r.CPURealtimeRuntime != 0 {
		c.RealtimeRuntime = i64(r.CPURealtimeRuntime)
	}
	if c == (specs.LinuxCPU{}) {
		return nil
	}
	return &c
}

// swapSupported reports whether the host accounts swap in its memory
// cgroup: memory.memsw.* on cgroup v1, memory.swap.max on v2 (present in
// every non-root cgroup when the kernel has swap accounting).
func swapSupported() bool {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		_, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
		return err == nil
	}
	m, _ := filepath.Glob("/sys/fs/cgroup/*/memory.swap.max")
	return len(m) > 0
}

// blkioWeightSupported: cgroup v1 exposes the weight only with the CFQ or
// BFQ scheduler; dockerd drops the setting otherwise.
func blkioWeightSupported() bool {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return true
	}
	for _, f := range []string{"blkio.weight", "blkio.bfq.weight"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/blkio", f)); err == nil {
			return true
		}
	}
	return false
}
