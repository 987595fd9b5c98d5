//go:build linux

package cgroups

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setMemoryV2 writes memory.max, memory.swap.max (swap alone, derived from
// the spec's memory+swap), memory.low for the reservation.
//
// Swappiness, DisableOOMKiller and UseHierarchy have no cgroup2 file (v2 is
// always hierarchical; there is no per-cgroup OOM killer switch) and are
// ignored, as runc's fs2 does. Kernel memory is ignored everywhere.
func setMemoryV2(dir string, r *specs.LinuxResources) error {
	m := r.Memory
	if err := checkBeforeUpdate(dir, "memory.current", m); err != nil {
		return err
	}
	var limit int64
	if m.Limit != nil {
		limit = *m.Limit
	}
	if m.Swap != nil {
		v, err := swapToV2(*m.Swap, limit)
		if err != nil {
			return err
		}
		if v != "" {
			// swap.max first: it is independent of memory.max, and a failure
			// here (no swap accounting) leaves memory.max untouched.
			if err := writeFile(dir, "memory.swap.max", v); err != nil {
				return err
			}
		}
	}
	if m.Limit != nil && *m.Limit != 0 {
		if err := writeFile(dir, "memory.max", memMax(*m.Limit)); err != nil {
			return err
		}
	}
	if m.Reservation != nil && *m.Reservation != 0 {
		return writeFile(dir, "memory.low", memMax(*m.Reservation))
	}
	return nil
}

func memMax(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// memoryStatsV2 fills runc's v1-shaped memory stats from v2 files: usage
// from memory.current/max, "swap" as memory+swap (v1's memsw meaning),
// failcnt from memory.events' "max" count, cache from memory.stat "file".
func memoryStatsV2(dir string, s *Stats) error {
	raw, err := readKeyValues(dir, "memory.stat")
	if err != nil {
		return err
	}
	s.Memory.Raw = raw
	s.Memory.Cache = raw["file"]
	u := &s.Memory.Usage
	if u.Usage, err = readUint(dir, "memory.current"); err != nil {
		return err
	}
	if u.Limit, err = readUint(dir, "memory.max"); err != nil {
		return err
	}
	if exists(dir, "memory.peak") {
		if u.Max, err = readUint(dir, "memory.peak"); err != nil {
			return err
		}
	}
	if ev, err := readKeyValues(dir, "memory.events"); err == nil {
		u.Failcnt = ev["max"]
	}
	if !exists(dir, "memory.swap.current") {
		return nil // no swap accounting
	}
	sw := &s.Memory.Swap
	if sw.Usage, err = readUint(dir, "memory.swap.current"); err != nil {
		return err
	}
	sw.Usage += u.Usage
	if sw.Limit, err = readUint(dir, "memory.swap.max"); err != nil {
		return err
	}
	if sw.Limit != 0 && u.Limit != 0 {
		sw.Limit += u.Limit
	}
	return nil
}
