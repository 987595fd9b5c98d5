package spec

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	profiles "github.com/moby/profiles/seccomp"
	"github.com/onggi/onggi/runtime/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// securityOpts is --security-opt parsed.
type securityOpts struct {
	noNewPrivileges bool
	writableCgroups bool
	seccomp         string // "" = docker's default, "unconfined", a JSON profile or a file path
}

// parseSecurityOpts reads --security-opt as dockerd does. AppArmor and
// SELinux options are accepted and ignored: dockerd ignores them too on a
// host without those LSMs, and onggi supports neither yet.
func parseSecurityOpts(opts []string) (securityOpts, error) {
	var s securityOpts
	for _, opt := range opts {
		switch opt {
		case "no-new-privileges":
			s.noNewPrivileges = true
			continue
		case "writable-cgroups":
			s.writableCgroups = true
			continue
		case "disable": // label disable, old spelling
			continue
		}
		sep := "="
		if !strings.Contains(opt, "=") {
			sep = ":" // docker's deprecated "key:value"
		}
		k, v, ok := strings.Cut(opt, sep)
		if !ok {
			return s, invalidf("invalid --security-opt 1: %q", opt)
		}
		switch k {
		case "label", "apparmor":
		case "seccomp":
			s.seccomp = v
		case "no-new-privileges", "writable-cgroups":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return s, invalidf("invalid --security-opt 2: %q", opt)
			}
			if k == "no-new-privileges" {
				s.noNewPrivileges = b
			} else {
				s.writableCgroups = b
			}
		default:
			return s, invalidf("invalid --security-opt 2: %q", opt)
		}
	}
	return s, nil
}

// seccompProfile returns linux.seccomp for s. The profile depends on the
// capability set (docker's default allows more syscalls to a container
// holding CAP_SYS_ADMIN, ...), so spec.Process.Capabilities must be final.
// Privileged containers run unconfined, as docker's.
func seccompProfile(s *specs.Spec, value string, privileged bool) (*specs.LinuxSeccomp, error) {
	switch {
	case privileged || value == "unconfined":
		return nil, nil
	case value == "" || value == "builtin":
		return seccomp.DefaultProfile(s)
	}
	body := value
	if !strings.HasPrefix(strings.TrimSpace(value), "{") {
		// docker's client inlines the file; an API caller may hand a path.
		data, err := os.ReadFile(value)
		if err != nil {
			return nil, invalidWrap(err, "opening seccomp profile (%s) failed", value)
		}
		body = string(data)
	}
	p, err := profiles.LoadProfile(body, s)
	if err != nil {
		return nil, invalidWrap(nil, "%s", err.Error())
	}
	if err := seccomp.Validate(p); err != nil {
		return nil, invalidWrap(nil, "seccomp profile: %s", err.Error())
	}
	return p, nil
}

// kernel sysctls that belong to the IPC namespace.
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
	"kernel.msg_next_id": true, "kernel.sem_next_id": true, "kernel.shm_next_id": true,
}

// validateSysctls allows only namespaced sysctls, and only when the
// container has its own namespace of that kind: setting one in a shared
// namespace would change the host.
func validateSysctls(hc *ctypes.HostConfig) error {
	for k := range hc.Sysctls {
		switch {
		case ipcSysctls[k] || strings.HasPrefix(k, "fs.mqueue."):
			if hc.IpcMode.IsHost() {
				return invalidf("sysctl %q is not allowed in the host's IPC namespace", k)
			}
		case strings.HasPrefix(k, "net."):
			if hc.NetworkMode.IsHost() {
				return invalidf("sysctl %q is not allowed in the host's network namespace", k)
			}
		case k == "kernel.domainname" || k == "kernel.hostname":
			if hc.UTSMode.IsHost() {
				return invalidf("sysctl %q is not allowed in the host's UTS namespace", k)
			}
		default:
			return invalidf("sysctl '%s' is not allowed", k)
		}
	}
	return nil
}

// sysctls returns linux.sysctl: docker's defaults for a container with its
// own network namespace (unprivileged ping and low ports: the default
// capabilities grant both anyway) under the user's values.
func sysctls(hc *ctypes.HostConfig) map[string]string {
	out := map[string]string{}
	if !hc.NetworkMode.IsHost() {
		if sysctlExists("net.ipv4.ping_group_range") {
			out["net.ipv4.ping_group_range"] = "0 2147483647"
		}
		if sysctlExists("net.ipv4.ip_unprivileged_port_start") {
			out["net.ipv4.ip_unprivileged_port_start"] = "0"
		}
	}
	for k, v := range hc.Sysctls {
		out[k] = v
	}
	return out
}

// sysctlExists: a runtime fails on a sysctl the kernel lacks.
func sysctlExists(name string) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/sys/%s", strings.ReplaceAll(name, ".", "/")))
	return err == nil
}
