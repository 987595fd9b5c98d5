//go:build linux

package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setCPUV2 writes cpu.weight (converted from shares), cpu.max, cpu.max.burst
// and cpu.idle. cgroup2 has no realtime group scheduling interface, so
// realtime values are refused, as runc does.
func setCPUV2(dir string, r *specs.LinuxResources) error {
	c := r.CPU
	if (c.RealtimePeriod != nil && *c.RealtimePeriod != 0) || (c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0) {
		return fmt.Errorf("cpu realtimePeriod/realtimeRuntime: cgroup v2 has no realtime scheduling controller: %w", ErrNotAvailable)
	}
	if c.Shares != nil && *c.Shares != 0 {
		if err := writeFile(dir, "cpu.weight", strconv.FormatUint(SharesToWeight(*c.Shares), 10)); err != nil {
			return err
		}
	}
	if v := cpuMax(c); v != "" {
		if err := writeFile(dir, "cpu.max", v); err != nil {
			return err
		}
	}
	if c.Burst != nil {
		if err := writeFile(dir, "cpu.max.burst", strconv.FormatUint(*c.Burst, 10)); err != nil {
			return err
		}
	}
	if c.Idle != nil {
		return writeFile(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10))
	}
	return nil
}

// cpuMax renders "quota period" for cpu.max: a quota of 0 or less is "max";
// a missing period leaves the kernel's (writing the quota alone keeps it).
func cpuMax(c *specs.LinuxCPU) string {
	var quota, period int64
	if c.Quota != nil {
		quota = *c.Quota
	}
	if c.Period != nil {
		period = int64(*c.Period)
	}
	if quota == 0 && period == 0 {
		return ""
	}
	v := "max"
	if quota > 0 {
		v = strconv.FormatInt(quota, 10)
	}
	if period != 0 {
		v += " " + strconv.FormatInt(period, 10)
	}
	return v
}

// cpuStatsV2 reads cpu.stat (µs) into nanoseconds. usage/user/system are
// always there; the throttling lines only with the cpu controller on.
func cpuStatsV2(dir string, s *Stats) error {
	st, err := readKeyValues(dir, "cpu.stat")
	if err != nil {
		return err
	}
	s.CPU.Usage.Total = st["usage_usec"] * 1000
	s.CPU.Usage.User = st["user_usec"] * 1000
	s.CPU.Usage.Kernel = st["system_usec"] * 1000
	s.CPU.Throttling = Throttling{
		Periods:          st["nr_periods"],
		ThrottledPeriods: st["nr_throttled"],
		ThrottledTime:    st["throttled_usec"] * 1000,
	}
	return nil
}
