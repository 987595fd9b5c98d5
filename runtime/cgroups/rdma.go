//go:build linux

package cgroups

import (
	"fmt"
	"sort"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func wantRdma(r *specs.LinuxResources) bool { return len(r.Rdma) > 0 }

// setRdma writes one "device hca_handle=N hca_object=M" line per device to
// rdma.max; the file and its syntax are the same on v1 and v2. A missing
// value is "max".
func setRdma(dir string, r *specs.LinuxResources) error {
	devs := make([]string, 0, len(r.Rdma))
	for d := range r.Rdma {
		devs = append(devs, d)
	}
	sort.Strings(devs)
	for _, d := range devs {
		l := r.Rdma[d]
		line := fmt.Sprintf("%s hca_handle=%s hca_object=%s", d, maxOrU32(l.HcaHandles), maxOrU32(l.HcaObjects))
		if err := writeFile(dir, "rdma.max", line); err != nil {
			return err
		}
	}
	return nil
}

func maxOrU32(v *uint32) string {
	if v == nil {
		return "max"
	}
	return strconv.FormatUint(uint64(*v), 10)
}
