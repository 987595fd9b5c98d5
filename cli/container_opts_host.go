package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"
)

// hostConfig fills docker's host-specific HostConfig from the flags.
func (o *containerOptions) hostConfig(f *pflag.FlagSet) (*ctypes.HostConfig, error) {
	if err := o.validModes(); err != nil {
		return nil, err
	}
	restart, err := parseRestartPolicy(o.restart)
	if err != nil {
		return nil, err
	}
	if o.logDriver == "none" && len(o.logOpts) > 0 {
		return nil, fmt.Errorf("invalid logging opts for driver %s", o.logDriver)
	}
	secOpts, err := parseSecurityOpts(o.securityOpt)
	if err != nil {
		return nil, err
	}
	secOpts, masked, readonly := parseSystemPaths(secOpts)
	res, err := o.resources(f)
	if err != nil {
		return nil, err
	}
	hc := &ctypes.HostConfig{
		ContainerIDFile: o.cidfile, OomScoreAdj: o.oomScoreAdj, AutoRemove: o.autoRemove,
		Privileged: o.privileged, IpcMode: ctypes.IpcMode(o.ipc),
		PidMode: ctypes.PidMode(o.pid), UTSMode: ctypes.UTSMode(o.uts),
		UsernsMode: ctypes.UsernsMode(o.userns), CgroupnsMode: ctypes.CgroupnsMode(o.cgroupns),
		CapAdd: o.capAdd, CapDrop: o.capDrop, GroupAdd: o.groupAdd, RestartPolicy: restart,
		SecurityOpt: secOpts, ReadonlyRootfs: o.readOnly, ShmSize: int64(o.shmSize),
		LogConfig: ctypes.LogConfig{Type: o.logDriver, Config: kvMap(o.logOpts)},
		Resources: res, Tmpfs: parseTmpfs(o.tmpfs), Sysctls: o.sysctls.m, Runtime: o.runtime,
		Mounts: o.mounts.mounts, MaskedPaths: masked, ReadonlyPaths: readonly,
		Annotations: o.annotations.m,
	}
	if f.Changed("init") {
		hc.Init = &o.init
	}
	return hc, nil
}

// validModes checks the namespace modes with docker's messages.
func (o *containerOptions) validModes() error {
	if o.swappiness != -1 && (o.swappiness < 0 || o.swappiness > 100) {
		return fmt.Errorf("invalid value: %d. Valid memory swappiness range is 0-100", o.swappiness)
	}
	switch {
	case !ctypes.PidMode(o.pid).Valid():
		return errors.New("--pid: invalid PID mode")
	case !ctypes.UTSMode(o.uts).Valid():
		return errors.New("--uts: invalid UTS mode")
	case !ctypes.UsernsMode(o.userns).Valid():
		return errors.New("--userns: invalid USER mode")
	case !ctypes.CgroupnsMode(o.cgroupns).Valid():
		return errors.New("--cgroupns: invalid CGROUP mode")
	case !ctypes.IpcMode(o.ipc).Valid():
		return errors.New("--ipc: invalid IPC mode")
	}
	return nil
}

// resources fills the cgroup limits. Pointers stay nil unless the flag
// was given, so the engine applies its own defaults.
func (o *containerOptions) resources(f *pflag.FlagSet) (ctypes.Resources, error) {
	devs, err := parseDevices(o.devices)
	if err != nil {
		return ctypes.Resources{}, err
	}
	r := ctypes.Resources{
		CgroupParent: o.cgroupParent, Memory: int64(o.memory),
		MemoryReservation: int64(o.memoryReservation), MemorySwap: int64(o.memorySwap),
		NanoCPUs: int64(o.cpus), CPUShares: o.cpuShares, CPUPeriod: o.cpuPeriod,
		CPUQuota: o.cpuQuota, CpusetCpus: o.cpusetCpus, CpusetMems: o.cpusetMems,
		BlkioWeight: o.blkioWeight, Ulimits: o.ulimits.list(), Devices: devs,
	}
	if f.Changed("memory-swappiness") {
		r.MemorySwappiness = &o.swappiness
	}
	if f.Changed("oom-kill-disable") {
		r.OomKillDisable = &o.oomKillDisable
	}
	if f.Changed("pids-limit") {
		r.PidsLimit = &o.pidsLimit
	}
	return r, nil
}

// parseRestartPolicy parses "no", "always", "unless-stopped",
// "on-failure[:N]" with docker's messages.
func parseRestartPolicy(s string) (ctypes.RestartPolicy, error) {
	if s == "" {
		return ctypes.RestartPolicy{}, nil
	}
	name, count, hasCount := strings.Cut(s, ":")
	if hasCount && name == "" {
		return ctypes.RestartPolicy{}, errors.New("invalid restart policy format: no policy provided before colon")
	}
	p := ctypes.RestartPolicy{Name: ctypes.RestartPolicyMode(name)}
	if count != "" {
		n, err := parseInt(count)
		if err != nil {
			return ctypes.RestartPolicy{}, errors.New("invalid restart policy format: maximum retry count must be an integer")
		}
		p.MaximumRetryCount = n
	}
	switch p.Name {
	case ctypes.RestartPolicyDisabled, ctypes.RestartPolicyAlways, ctypes.RestartPolicyUnlessStopped:
		if p.MaximumRetryCount != 0 {
			return ctypes.RestartPolicy{}, fmt.Errorf("invalid restart policy: maximum retry count can only be used with 'on-failure'")
		}
	case ctypes.RestartPolicyOnFailure:
		if p.MaximumRetryCount < 0 {
			return ctypes.RestartPolicy{}, errors.New("invalid restart policy: maximum retry count cannot be negative")
		}
	default:
		return ctypes.RestartPolicy{}, fmt.Errorf("invalid restart policy: unknown policy '%s'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'", p.Name)
	}
	return p, nil
}

// parseSecurityOpts checks "key=value" (or "key:value") and inlines a
// seccomp profile file as docker's client does, so the record does not
// depend on the file later.
func parseSecurityOpts(opts []string) ([]string, error) {
	out := make([]string, 0, len(opts))
	for _, opt := range opts {
		k, v, ok := strings.Cut(opt, "=")
		if !ok && k != "no-new-privileges" {
			k, v, ok = strings.Cut(opt, ":")
		}
		if (!ok || v == "") && k != "no-new-privileges" {
			return nil, fmt.Errorf("invalid --security-opt: %q", opt)
		}
		if k == "seccomp" && v != "builtin" && v != "unconfined" {
			data, err := os.ReadFile(v)
			if err != nil {
				return nil, fmt.Errorf("opening seccomp profile (%s) failed: %w", v, err)
			}
			var b bytes.Buffer
			if err := json.Compact(&b, data); err != nil {
				return nil, fmt.Errorf("compacting json for seccomp profile (%s) failed: %w", v, err)
			}
			opt = "seccomp=" + b.String()
		}
		out = append(out, opt)
	}
	return out, nil
}

// parseSystemPaths turns systempaths=unconfined into empty masked and
// read-only path lists (nil lists mean the defaults).
func parseSystemPaths(opts []string) (filtered, masked, readonly []string) {
	for _, opt := range opts {
		if opt == "systempaths=unconfined" {
			masked, readonly = []string{}, []string{}
			continue
		}
		filtered = append(filtered, opt)
	}
	return filtered, masked, readonly
}

// parseTmpfs maps --tmpfs path[:options].
func parseTmpfs(specs []string) map[string]string {
	if len(specs) == 0 {
		return nil
	}
	m := make(map[string]string, len(specs))
	for _, s := range specs {
		k, v, _ := strings.Cut(s, ":")
		m[k] = v
	}
	return m
}

// parseDevices parses --device host[:container][:perms].
func parseDevices(specs []string) ([]ctypes.DeviceMapping, error) {
	var out []ctypes.DeviceMapping
	for _, spec := range specs {
		parts := strings.Split(spec, ":")
		if len(parts) > 3 || parts[0] == "" {
			return nil, fmt.Errorf("bad format for path: %s", spec)
		}
		d := ctypes.DeviceMapping{PathOnHost: parts[0], CgroupPermissions: "rwm"}
		switch {
		case len(parts) == 3:
			if !validDeviceMode(parts[2]) {
				return nil, fmt.Errorf("bad mode specified: %s", parts[2])
			}
			d.PathInContainer, d.CgroupPermissions = parts[1], parts[2]
		case len(parts) == 2 && validDeviceMode(parts[1]):
			d.CgroupPermissions = parts[1]
		case len(parts) == 2:
			d.PathInContainer = parts[1]
		}
		if d.PathInContainer == "" {
			d.PathInContainer = d.PathOnHost
		}
		if !path.IsAbs(d.PathInContainer) {
			return nil, fmt.Errorf("%s is not an absolute path", d.PathInContainer)
		}
		d.PathInContainer = path.Clean(d.PathInContainer)
		out = append(out, d)
	}
	return out, nil
}

// validDeviceMode: a non-empty subset of "rwm", no letter twice.
func validDeviceMode(mode string) bool {
	if mode == "" {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range mode {
		if !strings.ContainsRune("rwm", c) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// kvMap converts ["k=v"] to a map (a bare key maps to "").
func kvMap(kvs []string) map[string]string {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
