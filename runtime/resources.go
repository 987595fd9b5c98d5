package runtime

import (
	"github.com/onggi/onggi/runtime/rootfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// effectiveResources is linux.resources as the cgroup gets it: the spec's
// device rules followed, as runc does, by allow rules for the devices the
// container gets anyway (the default nodes, linux.devices, ptys, tun) and
// for mknod of any node. Without them a spec that starts with "deny all"
// (docker's, runtime-tools') leaves /dev/null unusable and devices
// uncreatable.
func effectiveResources(spec *specs.Spec) *specs.LinuxResources {
	r := spec.Linux.Resources
	if r == nil || len(r.Devices) == 0 {
		return r
	}
	out := *r
	out.Devices = append([]specs.LinuxDeviceCgroup{}, r.Devices...)
	allow := func(typ string, major, minor *int64) {
		out.Devices = append(out.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: major, Minor: minor, Access: "rwm"})
	}
	num := func(n int64) *int64 { return &n }
	out.Devices = append(out.Devices,
		specs.LinuxDeviceCgroup{Allow: true, Type: "c", Access: "m"},
		specs.LinuxDeviceCgroup{Allow: true, Type: "b", Access: "m"})
	for _, d := range append(append([]specs.LinuxDevice{}, rootfs.DefaultDevices...), spec.Linux.Devices...) {
		switch d.Type {
		case "c", "u":
			allow("c", num(d.Major), num(d.Minor))
		case "b":
			allow("b", num(d.Major), num(d.Minor))
		} // fifos ("p") are not devices to the cgroup
	}
	allow("c", num(5), num(1))    // /dev/console
	allow("c", num(5), num(2))    // /dev/ptmx
	allow("c", num(136), nil)     // /dev/pts/*
	allow("c", num(10), num(200)) // /dev/net/tun
	return &out
}

// mergeResources records an update: the sections r sets replace those of
// old (cgroups.Set only writes what r sets, so the record must keep the
// rest).
func mergeResources(old, r *specs.LinuxResources) *specs.LinuxResources {
	if old == nil {
		return r
	}
	out := *old
	if r.Memory != nil {
		out.Memory = r.Memory
	}
	if r.CPU != nil {
		out.CPU = r.CPU
	}
	if r.Pids != nil {
		out.Pids = r.Pids
	}
	if r.BlockIO != nil {
		out.BlockIO = r.BlockIO
	}
	if r.HugepageLimits != nil {
		out.HugepageLimits = r.HugepageLimits
	}
	if r.Network != nil {
		out.Network = r.Network
	}
	if r.Rdma != nil {
		out.Rdma = r.Rdma
	}
	if r.Unified != nil {
		out.Unified = r.Unified
	}
	if r.Devices != nil {
		out.Devices = r.Devices
	}
	return &out
}
