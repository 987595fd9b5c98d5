//go:build linux

package cgroups

import (
	"errors"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func wantCPU(r *specs.LinuxResources) bool {
	c := r.CPU
	return c != nil && (c.Shares != nil || c.Quota != nil || c.Period != nil || c.Burst != nil ||
		c.RealtimePeriod != nil || c.RealtimeRuntime != nil || c.Idle != nil)
}

func setCPUV1(dir string, r *specs.LinuxResources) error {
	c := r.CPU
	if c.Shares != nil && *c.Shares != 0 {
		if err := writeFile(dir, "cpu.shares", strconv.FormatUint(*c.Shares, 10)); err != nil {
			return err
		}
	}
	if err := setCFSV1(dir, c); err != nil {
		return err
	}
	if c.Burst != nil {
		if err := writeFile(dir, "cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10)); err != nil {
			return err
		}
	}
	// The realtime period bounds the runtime, so the period goes first.
	if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
		if err := writeFile(dir, "cpu.rt_period_us", strconv.FormatUint(*c.RealtimePeriod, 10)); err != nil {
			return err
		}
	}
	if c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 {
		if err := writeFile(dir, "cpu.rt_runtime_us", strconv.FormatInt(*c.RealtimeRuntime, 10)); err != nil {
			return err
		}
	}
	if c.Idle != nil {
		return writeFile(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10))
	}
	return nil
}

// setCFSV1 writes period then quota. The kernel rejects a period change
// (EINVAL) that the current quota makes infeasible for a child's
// configuration; then quota goes first and the period is retried.
func setCFSV1(dir string, c *specs.LinuxCPU) error {
	period, quota := "", ""
	if c.Period != nil && *c.Period != 0 {
		period = strconv.FormatUint(*c.Period, 10)
	}
	if c.Quota != nil && *c.Quota != 0 {
		quota = strconv.FormatInt(*c.Quota, 10)
	}
	if period != "" {
		err := writeFile(dir, "cpu.cfs_period_us", period)
		if err == nil {
			period = ""
		} else if !errors.Is(err, unix.EINVAL) || quota == "" {
			return err
		}
	}
	if quota != "" {
		if err := writeFile(dir, "cpu.cfs_quota_us", quota); err != nil {
			return err
		}
	}
	if period != "" {
		return writeFile(dir, "cpu.cfs_period_us", period)
	}
	return nil
}

// clockTicks is USER_HZ, the unit of cpuacct.stat; it is 100 on every Linux
// architecture Go supports.
const clockTicks = 100

func cpuStatsV1(cpuDir, cpuacctDir string, s *Stats) error {
	if cpuDir != "" {
		st, err := readKeyValues(cpuDir, "cpu.stat")
		if err != nil {
			return err
		}
		s.CPU.Throttling = Throttling{
			Periods:          st["nr_periods"],
			ThrottledPeriods: st["nr_throttled"],
			ThrottledTime:    st["throttled_time"],
		}
	}
	if cpuacctDir == "" {
		return nil
	}
	u := &s.CPU.Usage
	var err error
	if u.Total, err = readUint(cpuacctDir, "cpuacct.usage"); err != nil {
		return err
	}
	for file, dst := range map[string]*[]uint64{
		"cpuacct.usage_percpu":      &u.Percpu,
		"cpuacct.usage_percpu_sys":  &u.PercpuKernel,
		"cpuacct.usage_percpu_user": &u.PercpuUser,
	} {
		if !exists(cpuacctDir, file) {
			continue // older kernels have only usage_percpu
		}
		txt, err := readFile(cpuacctDir, file)
		if err != nil {
			return err
		}
		if *dst, err = parseUintList(txt, file); err != nil {
			return err
		}
	}
	st, err := readKeyValues(cpuacctDir, "cpuacct.stat")
	if err != nil {
		return err
	}
	const nsPerTick = 1e9 / clockTicks
	u.User = st["user"] * nsPerTick
	u.Kernel = st["system"] * nsPerTick
	return nil
}
