//go:build linux

package cgroups

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setHugetlbV2 writes hugetlb.<size>.max, plus hugetlb.<size>.rsvd.max where
// the kernel has reservation accounting (see setHugetlbV1).
func setHugetlbV2(dir string, r *specs.LinuxResources) error {
	for _, l := range r.HugepageLimits {
		v := strconv.FormatUint(l.Limit, 10)
		if err := writeFile(dir, "hugetlb."+l.Pagesize+".max", v); err != nil {
			return err
		}
		if rsvd := "hugetlb." + l.Pagesize + ".rsvd.max"; exists(dir, rsvd) {
			if err := writeFile(dir, rsvd, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// hugetlbStatsV2: v2 keeps no maximum usage, so Max stays 0 as in runc;
// failcnt is the "max" count of hugetlb.<size>.events.
func hugetlbStatsV2(dir string, s *Stats) error {
	sizes, err := hugePageSizes(dir, "current")
	if err != nil {
		return err
	}
	for _, size := range sizes {
		var h Hugetlb
		p := "hugetlb." + size
		if h.Usage, err = readUint(dir, p+".current"); err != nil {
			return err
		}
		ev, err := readKeyValues(dir, p+".events")
		if err != nil {
			return err
		}
		h.Failcnt = ev["max"]
		s.Hugetlb[size] = h
	}
	return nil
}
