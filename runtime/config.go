package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/onggi/onggi/runtime/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// invalid returns an error wrapping ErrInvalid that names the config field.
func invalid(field, format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, a...))
}

// loadSpec reads bundle/config.json and validates it. It returns the spec and
// the absolute rootfs path.
func loadSpec(bundle string) (*specs.Spec, string, error) {
	if bundle == "" {
		bundle = "."
	}
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil, "", fmt.Errorf("bundle %q: %w", bundle, err)
	}
	data, err := os.ReadFile(filepath.Join(abs, "config.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("%w: config.json: %w", ErrInvalid, err)
		}
		return nil, "", fmt.Errorf("reading config.json: %w", err)
	}
	var spec specs.Spec
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&spec); err != nil {
		return nil, "", fmt.Errorf("%w: config.json: malformed JSON: %w", ErrInvalid, err)
	}
	rootfs, err := validate(&spec, abs)
	if err != nil {
		return nil, "", err
	}
	return &spec, rootfs, nil
}

// validate checks what the runtime relies on and returns the absolute rootfs.
func validate(s *specs.Spec, bundle string) (string, error) {
	if s.Version == "" {
		return "", invalid("ociVersion", "missing")
	}
	if !strings.HasPrefix(s.Version, "1.") {
		return "", invalid("ociVersion", "%q is not a 1.x runtime-spec version", s.Version)
	}
	if s.Root == nil || s.Root.Path == "" {
		return "", invalid("root.path", "missing")
	}
	rootfs := s.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(bundle, rootfs)
	}
	fi, err := os.Stat(rootfs)
	if err != nil {
		return "", invalid("root.path", "%v", err)
	}
	if !fi.IsDir() {
		return "", invalid("root.path", "%s is not a directory", rootfs)
	}
	if s.Process == nil {
		return "", invalid("process", "missing")
	}
	if err := validateProcess(s.Process); err != nil {
		return "", err
	}
	for i, m := range s.Mounts {
		if !filepath.IsAbs(m.Destination) {
			return "", invalid(fmt.Sprintf("mounts[%d].destination", i), "%q is not absolute", m.Destination)
		}
	}
	if err := validateHooks(s.Hooks); err != nil {
		return "", err
	}
	if s.Linux == nil {
		return "", invalid("linux", "missing")
	}
	return rootfs, validateLinux(s)
}

func validateProcess(p *specs.Process) error {
	if len(p.Args) == 0 && p.CommandLine == "" {
		return invalid("process.args", "empty")
	}
	if p.Cwd == "" || !filepath.IsAbs(p.Cwd) {
		return invalid("process.cwd", "%q is not an absolute path", p.Cwd)
	}
	for i, e := range p.Env {
		if !strings.Contains(e, "=") {
			return invalid(fmt.Sprintf("process.env[%d]", i), "%q is not KEY=value", e)
		}
	}
	for i, rl := range p.Rlimits {
		if _, ok := rlimitByName[rl.Type]; !ok {
			return invalid(fmt.Sprintf("process.rlimits[%d].type", i), "unknown rlimit %q", rl.Type)
		}
		if rl.Soft > rl.Hard {
			return invalid(fmt.Sprintf("process.rlimits[%d]", i), "soft limit %d above hard limit %d", rl.Soft, rl.Hard)
		}
	}
	if p.Capabilities != nil {
		if err := validateCaps(p.Capabilities); err != nil {
			return err
		}
	}
	if p.Terminal && p.ConsoleSize != nil && (p.ConsoleSize.Width == 0) != (p.ConsoleSize.Height == 0) {
		return invalid("process.consoleSize", "width and height must both be set")
	}
	return nil
}

func validateHooks(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	kinds := map[string][]specs.Hook{
		"prestart": h.Prestart, "createRuntime": h.CreateRuntime, "createContainer": h.CreateContainer,
		"startContainer": h.StartContainer, "poststart": h.Poststart, "poststop": h.Poststop,
	}
	for kind, hs := range kinds {
		for i, hk := range hs {
			if !filepath.IsAbs(hk.Path) {
				return invalid(fmt.Sprintf("hooks.%s[%d].path", kind, i), "%q is not absolute", hk.Path)
			}
			if hk.Timeout != nil && *hk.Timeout <= 0 {
				return invalid(fmt.Sprintf("hooks.%s[%d].timeout", kind, i), "must be positive")
			}
		}
	}
	return nil
}

// nsFlags maps runtime-spec namespace types to clone flags.
var nsFlags = map[specs.LinuxNamespaceType]int{
	specs.PIDNamespace: cloneNewPID, specs.NetworkNamespace: cloneNewNet, specs.MountNamespace: cloneNewNS,
	specs.IPCNamespace: cloneNewIPC, specs.UTSNamespace: cloneNewUTS, specs.UserNamespace: cloneNewUser,
	specs.CgroupNamespace: cloneNewCgroup, specs.TimeNamespace: cloneNewTime,
}

func validateLinux(s *specs.Spec) error {
	l := s.Linux
	seen := map[specs.LinuxNamespaceType]bool{}
	for i, ns := range l.Namespaces {
		field := fmt.Sprintf("linux.namespaces[%d]", i)
		if _, ok := nsFlags[ns.Type]; !ok {
			return invalid(field+".type", "unknown namespace type %q", ns.Type)
		}
		if seen[ns.Type] {
			return invalid(field+".type", "namespace %q listed twice", ns.Type)
		}
		seen[ns.Type] = true
		if ns.Path != "" && !filepath.IsAbs(ns.Path) {
			return invalid(field+".path", "%q is not absolute", ns.Path)
		}
		if ns.Path != "" {
			if _, err := os.Stat(ns.Path); err != nil {
				return invalid(field+".path", "%v", err)
			}
		}
	}
	// Without a mount namespace the container mounts in the runtime's
	// (hostns.go); a user namespace does not own that one and could not.
	if seen[specs.UserNamespace] && !seen[specs.MountNamespace] {
		return invalid("linux.namespaces", "a user namespace needs a mount namespace")
	}
	if l.Seccomp != nil {
		if err := seccomp.Validate(l.Seccomp); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if usesNotify(l.Seccomp) {
			// The init loads the filter after pivot_root, where listenerPath
			// is out of reach; handing the fd back through the start socket
			// is not built yet. Refuse at create rather than fail at start.
			return invalid("linux.seccomp", "SCMP_ACT_NOTIFY is not supported yet")
		}
	}
	if err := validateMappings(l, seen[specs.UserNamespace]); err != nil {
		return err
	}
	// A uts namespace joined by path is fine (runc sets the name there).
	if (s.Hostname != "" || s.Domainname != "") && !seen[specs.UTSNamespace] {
		return invalid("hostname", "setting the hostname needs a uts namespace")
	}
	if len(l.TimeOffsets) > 0 && !hasNewNS(l, specs.TimeNamespace) {
		return invalid("linux.timeOffsets", "needs a new time namespace")
	}
	for k := range l.TimeOffsets {
		if k != "monotonic" && k != "boottime" {
			return invalid("linux.timeOffsets", "unknown clock %q", k)
		}
	}
	if l.CgroupsPath != "" && !strings.HasPrefix(l.CgroupsPath, "/") && strings.Contains(l.CgroupsPath, "..") {
		return invalid("linux.cgroupsPath", "%q escapes its parent", l.CgroupsPath)
	}
	for i, d := range l.Devices {
		if !filepath.IsAbs(d.Path) {
			return invalid(fmt.Sprintf("linux.devices[%d].path", i), "%q is not absolute", d.Path)
		}
		switch d.Type {
		case "c", "b", "u", "p":
		default:
			return invalid(fmt.Sprintf("linux.devices[%d].type", i), "unknown device type %q", d.Type)
		}
	}
	for i, p := range append(append([]string{}, l.MaskedPaths...), l.ReadonlyPaths...) {
		if !filepath.IsAbs(p) {
			return invalid(fmt.Sprintf("linux.maskedPaths/readonlyPaths[%d]", i), "%q is not absolute", p)
		}
	}
	return validateRootfsPropagation(l.RootfsPropagation)
}

func hasNewNS(l *specs.Linux, t specs.LinuxNamespaceType) bool {
	for _, ns := range l.Namespaces {
		if ns.Type == t {
			return ns.Path == ""
		}
	}
	return false
}

func validateRootfsPropagation(p string) error {
	switch p {
	case "", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable":
		return nil
	}
	return invalid("linux.rootfsPropagation", "unknown propagation %q", p)
}

// validateMappings checks uid/gid mappings: present only with a user
// namespace, required for a new one, non-empty ranges that do not overlap.
func validateMappings(l *specs.Linux, userns bool) error {
	if !userns {
		if len(l.UIDMappings) > 0 || len(l.GIDMappings) > 0 {
			return invalid("linux.uidMappings", "mappings need a user namespace")
		}
		return nil
	}
	if hasNewNS(l, specs.UserNamespace) && (len(l.UIDMappings) == 0 || len(l.GIDMappings) == 0) {
		return invalid("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings")
	}
	for name, ms := range map[string][]specs.LinuxIDMapping{"linux.uidMappings": l.UIDMappings, "linux.gidMappings": l.GIDMappings} {
		for i, m := range ms {
			field := fmt.Sprintf("%s[%d]", name, i)
			if m.Size == 0 {
				return invalid(field+".size", "zero")
			}
			if uint64(m.HostID)+uint64(m.Size) > 1<<32-1 || uint64(m.ContainerID)+uint64(m.Size) > 1<<32-1 {
				return invalid(field, "range overflows 32-bit ids")
			}
			for j := 0; j < i; j++ {
				o := ms[j]
				if overlaps(m.ContainerID, m.Size, o.ContainerID, o.Size) || overlaps(m.HostID, m.Size, o.HostID, o.Size) {
					return invalid(field, "overlaps %s[%d]", name, j)
				}
			}
		}
	}
	return nil
}

func overlaps(a, an, b, bn uint32) bool {
	return uint64(a) < uint64(b)+uint64(bn) && uint64(b) < uint64(a)+uint64(an)
}

// readSpec reads a config.json recorded in a container's state.
func readSpec(path string) (*specs.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// usesNotify reports whether a seccomp config asks for user notification.
func usesNotify(sc *specs.LinuxSeccomp) bool {
	if sc.DefaultAction == specs.ActNotify {
		return true
	}
	for _, sys := range sc.Syscalls {
		if sys.Action == specs.ActNotify {
			return true
		}
	}
	return false
}
