//go:build linux

package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// wantMemory reports whether r sets anything the memory controller
// enforces. Kernel and KernelTCP are ignored, as runc does: kernel memory
// limits are deprecated in the spec and gone from the kernel since 5.4 (v1
// kmem.limit_in_bytes writes fail on recent kernels).
func wantMemory(r *specs.LinuxResources) bool {
	m := r.Memory
	return m != nil && (m.Limit != nil || m.Reservation != nil || m.Swap != nil ||
		m.Swappiness != nil || m.DisableOOMKiller != nil || m.UseHierarchy != nil)
}

func setMemoryV1(dir string, r *specs.LinuxResources) error {
	m := r.Memory
	if err := checkBeforeUpdate(dir, "memory.usage_in_bytes", m); err != nil {
		return err
	}
	if err := setMemoryAndSwapV1(dir, m); err != nil {
		return err
	}
	if m.Reservation != nil {
		if err := writeFile(dir, "memory.soft_limit_in_bytes", strconv.FormatInt(*m.Reservation, 10)); err != nil {
			return err
		}
	}
	if m.Swappiness != nil {
		if *m.Swappiness > 100 {
			return fmt.Errorf("memory.swappiness %d is above 100: %w", *m.Swappiness, ErrInvalid)
		}
		if err := writeFile(dir, "memory.swappiness", strconv.FormatUint(*m.Swappiness, 10)); err != nil {
			return err
		}
	}
	if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
		if err := writeFile(dir, "memory.oom_control", "1"); err != nil {
			return err
		}
	}
	if m.UseHierarchy != nil {
		if err := writeFile(dir, "memory.use_hierarchy", boolDigit(*m.UseHierarchy)); err != nil {
			return err
		}
	}
	return nil
}

// setMemoryAndSwapV1 keeps the kernel's invariant memsw.limit >= limit at
// every step: when the limit grows, memsw is raised first; when it shrinks,
// the limit is lowered first.
func setMemoryAndSwapV1(dir string, m *specs.LinuxMemory) error {
	if m.Limit == nil && m.Swap == nil {
		return nil
	}
	var limit, swap string
	if m.Limit != nil {
		limit = strconv.FormatInt(*m.Limit, 10)
	}
	if m.Swap != nil {
		if m.Limit != nil && *m.Swap > 0 && *m.Limit > 0 && *m.Swap < *m.Limit {
			return fmt.Errorf("memory.swap %d (memory+swap) is below memory.limit %d: %w", *m.Swap, *m.Limit, ErrInvalid)
		}
		swap = strconv.FormatInt(*m.Swap, 10)
		if !exists(dir, "memory.memsw.limit_in_bytes") {
			return fmt.Errorf("memory.swap %s: swap accounting is off (no memory.memsw.limit_in_bytes in %s): %w", swap, dir, ErrNotAvailable)
		}
	}
	swapFirst := false
	if limit != "" && swap != "" {
		cur, err := readFile(dir, "memory.limit_in_bytes")
		if err != nil {
			return err
		}
		curN, _ := strconv.ParseInt(cur, 10, 64)
		swapFirst = *m.Limit < 0 || *m.Limit > curN
	}
	if swapFirst {
		if err := writeFile(dir, "memory.memsw.limit_in_bytes", swap); err != nil {
			return err
		}
		swap = ""
	}
	if limit != "" {
		if err := writeFile(dir, "memory.limit_in_bytes", limit); err != nil {
			return err
		}
	}
	if swap != "" {
		return writeFile(dir, "memory.memsw.limit_in_bytes", swap)
	}
	return nil
}

// checkBeforeUpdate implements memory.checkBeforeUpdate: refuse a limit
// below the current usage rather than let the kernel reclaim or OOM-kill.
func checkBeforeUpdate(dir, usageFile string, m *specs.LinuxMemory) error {
	if m.CheckBeforeUpdate == nil || !*m.CheckBeforeUpdate || m.Limit == nil || *m.Limit <= 0 {
		return nil
	}
	usage, err := readUint(dir, usageFile)
	if err != nil {
		return err
	}
	if uint64(*m.Limit) < usage {
		return fmt.Errorf("memory limit %d is below the current usage %d of %s: %w", *m.Limit, usage, dir, ErrInvalid)
	}
	return nil
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func memoryStatsV1(dir string, s *Stats) error {
	raw, err := readKeyValues(dir, "memory.stat")
	if err != nil {
		return err
	}
	s.Memory.Raw = raw
	s.Memory.Cache = raw["cache"]
	entries := []struct {
		prefix string
		e      *MemoryEntry
	}{
		{"memory", &s.Memory.Usage},
		{"memory.memsw", &s.Memory.Swap},
		{"memory.kmem", &s.Memory.Kernel},
		{"memory.kmem.tcp", &s.Memory.KernelTCP},
	}
	for _, en := range entries {
		if en.prefix != "memory" && !exists(dir, en.prefix+".usage_in_bytes") {
			continue // swap accounting or kmem off
		}
		var err error
		if en.e.Usage, err = readUint(dir, en.prefix+".usage_in_bytes"); err != nil {
			return err
		}
		if en.e.Max, err = readUint(dir, en.prefix+".max_usage_in_bytes"); err != nil {
			return err
		}
		if en.e.Limit, err = readUint(dir, en.prefix+".limit_in_bytes"); err != nil {
			return err
		}
		if en.e.Failcnt, err = readUint(dir, en.prefix+".failcnt"); err != nil {
			return err
		}
	}
	return nil
}
