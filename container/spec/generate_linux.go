package spec

import (
	"path"
	"path/filepath"
	"slices"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// defaultPath is docker's PATH for a container whose image sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// defaultCgroupParent holds every onggi container's cgroup.
const defaultCgroupParent = "/onggi"

// AnnotationInit asks onggi's runtime to run its own reaper as PID 1
// (--init); other runtimes do not know it, so the engine refuses --init
// with them.
const AnnotationInit = "org.onggi.init"

// validate checks everything Generate can check without the rootfs.
func validate(cfg *ctypes.Config, hc *ctypes.HostConfig) error {
	if cfg == nil || hc == nil {
		return invalidf("container config and host config are required")
	}
	if len(Command(cfg)) == 0 {
		return invalidf("no command specified")
	}
	if cfg.WorkingDir != "" && !path.IsAbs(cfg.WorkingDir) {
		return invalidf("the working directory '%s' is invalid, it needs to be an absolute path", cfg.WorkingDir)
	}
	if err := validateModes(hc); err != nil {
		return err
	}
	if err := validateResources(&hc.Resources); err != nil {
		return err
	}
	if err := validateUlimits(hc.Ulimits); err != nil {
		return err
	}
	if err := validateSysctls(hc); err != nil {
		return err
	}
	if _, err := capabilities(hc.CapAdd, hc.CapDrop, false); err != nil {
		return err
	}
	if _, err := parseSecurityOpts(hc.SecurityOpt); err != nil {
		return err
	}
	if _, err := tmpfsMounts(hc.Tmpfs); err != nil {
		return err
	}
	_, err := cgroupsPath(hc.CgroupParent, "x")
	return err
}

func generate(in Input) (*specs.Spec, error) {
	if err := validate(in.Config, in.HostConfig); err != nil {
		return nil, err
	}
	hc := in.HostConfig
	sec, _ := parseSecurityOpts(hc.SecurityOpt) // validated above
	proc, err := process(in, sec)
	if err != nil {
		return nil, err
	}
	s := &specs.Spec{
		Version:  specs.Version,
		Process:  proc,
		Root:     &specs.Root{Path: in.Rootfs, Readonly: hc.ReadonlyRootfs},
		Hostname: hostname(in),
		Linux:    &specs.Linux{Namespaces: namespaces(hc, in.NetNSPath), Sysctl: sysctls(hc)},
	}
	if !hc.UTSMode.IsHost() {
		s.Domainname = in.Config.Domainname
	}
	if s.Mounts, err = mounts(in, sec); err != nil {
		return nil, err
	}
	s.Linux.RootfsPropagation = rootfsPropagation(in.Mounts)
	if err := linuxSecurity(s, in, sec); err != nil {
		return nil, err
	}
	if err := linuxResources(s, in); err != nil {
		return nil, err
	}
	s.Annotations = annotations(hc)
	return s, nil
}

// process builds the process section: argv, docker's environment, user,
// capabilities, rlimits.
func process(in Input, sec securityOpts) (*specs.Process, error) {
	cfg, hc := in.Config, in.HostConfig
	u, err := resolveUser(in.Rootfs, cfg.User, hc.GroupAdd)
	if err != nil {
		return nil, err
	}
	u.Umask = hc.Umask
	caps, err := capabilities(hc.CapAdd, hc.CapDrop, hc.Privileged)
	if err != nil {
		return nil, err
	}
	cwd := cfg.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	oom := hc.OomScoreAdj
	p := &specs.Process{
		Terminal: cfg.Tty,
		User:     u,
		Args:     Command(cfg),
		Env:      env(cfg, configHostname(in)),
		Cwd:      path.Clean(cwd),
		Capabilities: &specs.LinuxCapabilities{
			Bounding: caps, Effective: caps, Permitted: caps,
		},
		Rlimits:         rlimits(hc.Ulimits, hostNofileHard()),
		NoNewPrivileges: sec.noNewPrivileges,
		OOMScoreAdj:     &oom,
	}
	if cfg.Tty && hc.ConsoleSize[0] > 0 && hc.ConsoleSize[1] > 0 {
		p.ConsoleSize = &specs.Box{Height: hc.ConsoleSize[0], Width: hc.ConsoleSize[1]}
	}
	return p, nil
}

// env is docker's container environment: PATH, HOSTNAME and (with a tty)
// TERM first, then the config's variables replacing or appending by key; a
// bare "KEY" removes it.
func env(cfg *ctypes.Config, host string) []string {
	out := []string{"PATH=" + defaultPath, "HOSTNAME=" + host}
	if cfg.Tty {
		out = append(out, "TERM=xterm")
	}
	for _, kv := range cfg.Env {
		k, _, hasValue := strings.Cut(kv, "=")
		i := slices.IndexFunc(out, func(e string) bool { return strings.HasPrefix(e, k+"=") })
		switch {
		case i >= 0 && hasValue:
			out[i] = kv
		case i >= 0:
			out = slices.Delete(out, i, i+1)
		case hasValue:
			out = append(out, kv)
		}
	}
	return out
}

// hostname is the UTS hostname; with --uts host the container keeps the
// host's and the spec must not set one.
func hostname(in Input) string {
	if in.HostConfig.UTSMode.IsHost() {
		return ""
	}
	return configHostname(in)
}

// configHostname is the container's hostname as docker reports it (and
// puts in $HOSTNAME): the config's, else the short id.
func configHostname(in Input) string {
	if in.Config.Hostname != "" {
		return in.Config.Hostname
	}
	if len(in.ID) > 12 {
		return in.ID[:12]
	}
	return in.ID
}

func mounts(in Input, sec securityOpts) ([]specs.Mount, error) {
	hc := in.HostConfig
	tmpfs, err := tmpfsMounts(hc.Tmpfs)
	if err != nil {
		return nil, err
	}
	user := append(append([]specs.Mount{}, in.Mounts...), tmpfs...)
	ms, err := assembleMounts(defaultMounts(hc, sec), etcMounts(in.EtcFiles, hc.ReadonlyRootfs), user, hc.ReadonlyRootfs)
	if err != nil {
		return nil, err
	}
	if hc.Privileged {
		// docker: a privileged container's /sys and cgroup tree stay
		// writable even under --read-only.
		for i := range ms {
			if ms[i].Type == "sysfs" || ms[i].Type == "cgroup" {
				ms[i].Options = slices.DeleteFunc(append([]string{}, ms[i].Options...), func(o string) bool { return o == "ro" })
			}
		}
	}
	return ms, nil
}

// linuxSecurity sets masked and read-only paths, devices and seccomp.
func linuxSecurity(s *specs.Spec, in Input, sec securityOpts) error {
	hc := in.HostConfig
	if !hc.Privileged {
		s.Linux.MaskedPaths = maskedPaths()
		s.Linux.ReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
	}
	// An explicit list (the API's MaskedPaths, or `systempaths=unconfined`
	// giving empty ones) replaces the defaults, privileged or not.
	if hc.MaskedPaths != nil {
		s.Linux.MaskedPaths = append([]string{}, hc.MaskedPaths...)
	}
	if hc.ReadonlyPaths != nil {
		s.Linux.ReadonlyPaths = append([]string{}, hc.ReadonlyPaths...)
	}
	devs, rules, err := devices(hc)
	if err != nil {
		return err
	}
	s.Linux.Devices = devs
	s.Linux.Resources = &specs.LinuxResources{Devices: rules}
	s.Linux.Seccomp, err = seccompProfile(s, sec.seccomp, hc.Privileged)
	return err
}

// maskedPaths is docker's list (the /proc files that leak host
// information or allow side channels, sysfs firmware and powercap: see
// GHSA-6fw5-f8r9-fgfm and GHSA-jq35-85cj-fj4p), with each CPU's
// thermal_throttle directory that exists on this host.
func maskedPaths() []string {
	out := []string{
		"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
	}
	tt, _ := filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*/thermal_throttle")
	return append(out, tt...)
}

func linuxResources(s *specs.Spec, in Input) error {
	rules := s.Linux.Resources.Devices
	s.Linux.Resources = resources(&in.HostConfig.Resources)
	s.Linux.Resources.Devices = rules
	p, err := cgroupsPath(in.CgroupParent, in.ID)
	if err != nil {
		return err
	}
	s.Linux.CgroupsPath = p
	return nil
}

// CgroupsPath is the cgroupsPath Generate gives a container: the engine
// needs it to remove a cgroup whose runtime state is gone (a reboot
// simulated by wiping the runroot, a runtime root deleted by hand).
func CgroupsPath(parent, id string) (string, error) { return cgroupsPath(parent, id) }

// cgroupsPath is <parent>/<id>. A parent must not climb out of the cgroup
// hierarchy with "..".
func cgroupsPath(parent, id string) (string, error) {
	if parent == "" {
		parent = defaultCgroupParent
	}
	if slices.Contains(strings.Split(parent, "/"), "..") {
		return "", invalidf("invalid cgroup parent %q", parent)
	}
	if id == "" || strings.ContainsAny(id, "/") || id == ".." || id == "." {
		return "", invalidf("invalid container id %q", id)
	}
	return path.Join(parent, id), nil
}

func annotations(hc *ctypes.HostConfig) map[string]string {
	out := make(map[string]string, len(hc.Annotations)+1)
	for k, v := range hc.Annotations {
		out[k] = v
	}
	// docker adds its init only in a private pid namespace: in the host's
	// (or another container's) there is already an init.
	if hc.Init != nil && *hc.Init && !hc.PidMode.IsHost() {
		out[AnnotationInit] = "true"
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
