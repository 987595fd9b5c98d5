//go:build linux

package cgroups

import (
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func wantHugetlb(r *specs.LinuxResources) bool { return len(r.HugepageLimits) > 0 }

// setHugetlbV1 writes hugetlb.<size>.limit_in_bytes, and the reservation
// limit too where the kernel has it (5.7+): the spec says limits default to
// reservation limits when supported, which also stops a task from
// reserving pages at mmap time that it can never fault in.
func setHugetlbV1(dir string, r *specs.LinuxResources) error {
	for _, l := range r.HugepageLimits {
		v := strconv.FormatUint(l.Limit, 10)
		if err := writeFile(dir, "hugetlb."+l.Pagesize+".limit_in_bytes", v); err != nil {
			return err
		}
		if rsvd := "hugetlb." + l.Pagesize + ".rsvd.limit_in_bytes"; exists(dir, rsvd) {
			if err := writeFile(dir, rsvd, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// hugePageSizes lists the page sizes found as hugetlb.<size>.<suffix> in dir.
func hugePageSizes(dir, suffix string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var sizes []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "hugetlb.")
		if !ok {
			continue
		}
		if size, ok := strings.CutSuffix(rest, "."+suffix); ok && !strings.Contains(size, ".") {
			sizes = append(sizes, size)
		}
	}
	return sizes, nil
}

func hugetlbStatsV1(dir string, s *Stats) error {
	sizes, err := hugePageSizes(dir, "usage_in_bytes")
	if err != nil {
		return err
	}
	for _, size := range sizes {
		var h Hugetlb
		p := "hugetlb." + size
		if h.Usage, err = readUint(dir, p+".usage_in_bytes"); err != nil {
			return err
		}
		if h.Max, err = readUint(dir, p+".max_usage_in_bytes"); err != nil {
			return err
		}
		if h.Failcnt, err = readUint(dir, p+".failcnt"); err != nil {
			return err
		}
		s.Hugetlb[size] = h
	}
	return nil
}
