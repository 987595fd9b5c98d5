//go:build linux

package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func wantNetCls(r *specs.LinuxResources) bool {
	return r.Network != nil && r.Network.ClassID != nil
}

func wantNetPrio(r *specs.LinuxResources) bool {
	return r.Network != nil && len(r.Network.Priorities) > 0
}

func setNetClsV1(dir string, r *specs.LinuxResources) error {
	return writeFile(dir, "net_cls.classid", strconv.FormatUint(uint64(*r.Network.ClassID), 10))
}

// setNetPrioV1 writes one "ifname prio" line per interface; the kernel
// takes a single pair per write.
func setNetPrioV1(dir string, r *specs.LinuxResources) error {
	for _, p := range r.Network.Priorities {
		if err := writeFile(dir, "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority)); err != nil {
			return err
		}
	}
	return nil
}
