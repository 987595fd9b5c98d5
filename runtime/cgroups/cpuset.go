//go:build linux

package cgroups

import (
	"fmt"
	"strconv"
	"strings"
)

// cpusetStats reads the effective cpus and mems (same files on v1 and v2).
func cpusetStats(dir string, s *Stats) error {
	for file, dst := range map[string]*[]uint16{
		"cpuset.effective_cpus": &s.CPUSet.CPUs,
		"cpuset.effective_mems": &s.CPUSet.Mems,
	} {
		if !exists(dir, file) {
			continue
		}
		txt, err := readFile(dir, file)
		if err != nil {
			return err
		}
		if *dst, err = parseCPUList(txt); err != nil {
			return fmt.Errorf("parsing %s/%s: %w", dir, file, err)
		}
	}
	return nil
}

// parseCPUList parses the kernel list format "0-3,8,10-11".
func parseCPUList(s string) ([]uint16, error) {
	var out []uint16
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil {
				return nil, err
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, uint16(i))
		}
	}
	return out, nil
}
