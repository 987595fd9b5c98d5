package spec

import (
	ctypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// validateModes checks the namespace modes. Sharing another container's
// IPC or PID namespace (container:<id>) needs the engine to resolve that
// container's pid; it is refused clearly until then rather than silently
// ignored. --network container:<id> is resolved by the engine into
// Input.NetNSPath (the other container's netns), see namespaces.
func validateModes(hc *ctypes.HostConfig) error {
	switch {
	case !hc.IpcMode.Valid():
		return invalidf("invalid IPC mode: %v", hc.IpcMode)
	case !hc.PidMode.Valid():
		return invalidf("invalid PID mode: %v", hc.PidMode)
	case !hc.UTSMode.Valid():
		return invalidf("invalid UTS mode: %v", hc.UTSMode)
	case !hc.CgroupnsMode.Valid():
		return invalidf("invalid cgroup namespace mode: %v", hc.CgroupnsMode)
	case !hc.UsernsMode.Valid():
		return invalidf("invalid USER mode: %v", hc.UsernsMode)
	case hc.IpcMode.IsContainer():
		return invalidf("--ipc %s is not supported yet", hc.IpcMode)
	case hc.PidMode.IsContainer():
		return invalidf("--pid %s is not supported yet", hc.PidMode)
	case hc.ShmSize < 0:
		return invalidf("SHM size can not be less than 0")
	case hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000:
		return invalidf("Invalid value %d, range for oom score adj is [-1000, 1000]", hc.OomScoreAdj)
	}
	return nil
}

// namespaces returns linux.namespaces in docker's order. A "host" mode
// leaves that namespace out (the container shares the host's); netnsPath
// (bridge networks, container:<id>) joins a namespace the engine prepared,
// and overrides the mode, as the engine has resolved it; the cgroup
// namespace is private unless --cgroupns host, on cgroup v1 too, so the
// host's hierarchy (and a v1 release_agent) stays out of view.
func namespaces(hc *ctypes.HostConfig, netnsPath string) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{{Type: specs.MountNamespace}}
	switch {
	case netnsPath != "":
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: netnsPath})
	case !hc.NetworkMode.IsHost():
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	if !hc.UTSMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UTSNamespace})
	}
	if !hc.PidMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.PIDNamespace})
	}
	if !hc.IpcMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.IPCNamespace})
	}
	if !hc.CgroupnsMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	return ns
}
