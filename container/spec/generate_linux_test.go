package spec

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const testID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func testInput(t *testing.T) Input {
	t.Helper()
	return Input{
		ID:         testID,
		Config:     &ctypes.Config{Cmd: []string{"sh"}},
		HostConfig: &ctypes.HostConfig{},
		Rootfs:     userRootfs(t, testPasswd, testGroup),
		EtcFiles: map[string]string{
			"/etc/hosts": "/state/hosts", "/etc/hostname": "/state/hostname", "/etc/resolv.conf": "/state/resolv.conf",
		},
	}
}

func mustGenerate(t *testing.T, in Input) *specs.Spec {
	t.Helper()
	s, err := Generate(in)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return s
}

func wantInvalid(t *testing.T, in Input, msg string) {
	t.Helper()
	_, err := Generate(in)
	if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), msg) {
		t.Fatalf("Generate error = %v, want ErrInvalid containing %q", err, msg)
	}
}

func destinations(ms []specs.Mount) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Destination)
	}
	return out
}

func findMount(t *testing.T, s *specs.Spec, dst string) specs.Mount {
	t.Helper()
	for _, m := range s.Mounts {
		if m.Destination == dst {
			return m
		}
	}
	t.Fatalf("no mount at %s in %q", dst, destinations(s.Mounts))
	return specs.Mount{}
}

func nsTypes(s *specs.Spec) []specs.LinuxNamespaceType {
	var out []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		out = append(out, n.Type)
	}
	return out
}

func TestGenerateDefaults(t *testing.T) {
	in := testInput(t)
	in.Config.Env = []string{"FOO=bar", "PATH=/custom"}
	s := mustGenerate(t, in)

	p := s.Process
	if !reflect.DeepEqual(p.Args, []string{"sh"}) || p.Cwd != "/" || p.Terminal {
		t.Errorf("process args %q cwd %q terminal %v", p.Args, p.Cwd, p.Terminal)
	}
	if want := []string{"PATH=/custom", "HOSTNAME=0123456789ab", "FOO=bar"}; !reflect.DeepEqual(p.Env, want) {
		t.Errorf("env %q, want %q", p.Env, want)
	}
	if !reflect.DeepEqual(p.Capabilities.Bounding, defaultCaps) || !reflect.DeepEqual(p.Capabilities.Effective, defaultCaps) ||
		!reflect.DeepEqual(p.Capabilities.Permitted, defaultCaps) || len(p.Capabilities.Inheritable)+len(p.Capabilities.Ambient) != 0 {
		t.Errorf("capabilities %+v", p.Capabilities)
	}
	if p.NoNewPrivileges || p.OOMScoreAdj == nil || *p.OOMScoreAdj != 0 {
		t.Errorf("noNewPrivileges %v oomScoreAdj %v", p.NoNewPrivileges, p.OOMScoreAdj)
	}
	if s.Hostname != "0123456789ab" || s.Root.Path != in.Rootfs || s.Root.Readonly {
		t.Errorf("hostname %q root %+v", s.Hostname, s.Root)
	}
	wantMounts := []string{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm",
		"/etc/resolv.conf", "/etc/hostname", "/etc/hosts"}
	if got := destinations(s.Mounts); !reflect.DeepEqual(got, wantMounts) {
		t.Errorf("mounts %q, want %q", got, wantMounts)
	}
	if shm := findMount(t, s, "/dev/shm"); !slices.Contains(shm.Options, "size=67108864") {
		t.Errorf("/dev/shm options %q, want size=67108864", shm.Options)
	}
	for _, dst := range []string{"/sys", "/sys/fs/cgroup"} {
		if !slices.Contains(findMount(t, s, dst).Options, "ro") {
			t.Errorf("%s is not read-only", dst)
		}
	}
	if h := findMount(t, s, "/etc/hosts"); h.Source != "/state/hosts" || h.Type != "bind" || slices.Contains(h.Options, "ro") {
		t.Errorf("/etc/hosts mount %+v", h)
	}
	for _, mp := range []string{"/proc/kcore", "/proc/keys", "/proc/interrupts", "/sys/firmware", "/sys/devices/virtual/powercap", "/proc/acpi", "/proc/scsi"} {
		if !slices.Contains(s.Linux.MaskedPaths, mp) {
			t.Errorf("%s not masked: %q", mp, s.Linux.MaskedPaths)
		}
	}
	if !reflect.DeepEqual(s.Linux.ReadonlyPaths, []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
		t.Errorf("readonly paths %q", s.Linux.ReadonlyPaths)
	}
	wantNS := []specs.LinuxNamespaceType{specs.MountNamespace, specs.NetworkNamespace, specs.UTSNamespace,
		specs.PIDNamespace, specs.IPCNamespace, specs.CgroupNamespace}
	if got := nsTypes(s); !reflect.DeepEqual(got, wantNS) {
		t.Errorf("namespaces %q, want %q", got, wantNS)
	}
	if s.Linux.CgroupsPath != "/onggi/"+testID {
		t.Errorf("cgroupsPath %q", s.Linux.CgroupsPath)
	}
	if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActErrno {
		t.Errorf("seccomp is not docker's default: %+v", s.Linux.Seccomp)
	}
	rules := s.Linux.Resources.Devices
	if len(rules) == 0 || rules[0].Allow || rules[0].Access != "rwm" || rules[0].Type != "" {
		t.Errorf("device rules do not start with deny-all: %+v", rules)
	}
	if len(s.Linux.Devices) != 0 || s.Annotations != nil {
		t.Errorf("devices %+v annotations %v", s.Linux.Devices, s.Annotations)
	}
	if s.Linux.Resources.Memory != nil || s.Linux.Resources.CPU != nil || s.Linux.Resources.Pids != nil {
		t.Errorf("unexpected limits: %+v", s.Linux.Resources)
	}
}

func TestGenerateDoesNotModifyInput(t *testing.T) {
	in := testInput(t)
	in.HostConfig.Memory = 64 << 20
	in.Config.Env = []string{"A=1"}
	before := *in.HostConfig
	mustGenerate(t, in)
	if !reflect.DeepEqual(before, *in.HostConfig) || !reflect.DeepEqual(in.Config.Env, []string{"A=1"}) {
		t.Fatal("Generate modified its input")
	}
}

func TestGenerateProcess(t *testing.T) {
	in := testInput(t)
	in.Config.Entrypoint = []string{"/bin/app"}
	in.Config.Cmd = []string{"--flag"}
	in.Config.Tty = true
	in.Config.WorkingDir = "/srv/"
	in.Config.Hostname = "web"
	in.Config.Domainname = "example.org"
	in.Config.User = "app"
	in.Config.Env = []string{"TERM=vt100", "HOSTNAME"}
	in.HostConfig.GroupAdd = []string{"staff"}
	in.HostConfig.OomScoreAdj = 500
	in.HostConfig.ConsoleSize = [2]uint{24, 80}
	umask := uint32(0o27)
	in.HostConfig.Umask = &umask
	s := mustGenerate(t, in)
	p := s.Process
	if !reflect.DeepEqual(p.Args, []string{"/bin/app", "--flag"}) || p.Cwd != "/srv" || !p.Terminal {
		t.Errorf("args %q cwd %q terminal %v", p.Args, p.Cwd, p.Terminal)
	}
	if want := []string{"PATH=" + defaultPath, "TERM=vt100"}; !reflect.DeepEqual(p.Env, want) {
		t.Errorf("env %q, want %q", p.Env, want)
	}
	if p.User.UID != 1000 || p.User.GID != 1000 || !reflect.DeepEqual(p.User.AdditionalGids, []uint32{1000, 29, 44, 50}) ||
		p.User.Umask == nil || *p.User.Umask != 0o27 {
		t.Errorf("user %+v", p.User)
	}
	if *p.OOMScoreAdj != 500 || p.ConsoleSize == nil || p.ConsoleSize.Height != 24 || p.ConsoleSize.Width != 80 {
		t.Errorf("oom %d console %+v", *p.OOMScoreAdj, p.ConsoleSize)
	}
	if s.Hostname != "web" || s.Domainname != "example.org" {
		t.Errorf("hostname %q domainname %q", s.Hostname, s.Domainname)
	}

	in = testInput(t)
	in.Config.User = "ghost"
	wantInvalid(t, in, "unable to find user ghost: no matching entries in passwd file")
	in = testInput(t)
	in.Config.WorkingDir = "relative"
	wantInvalid(t, in, "needs to be an absolute path")
	in = testInput(t)
	in.Config.Cmd = nil
	wantInvalid(t, in, "no command specified")
}

func TestGenerateCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name      string
		add, drop []string
		has, lack []string
	}{
		{"add lower case without prefix", []string{"net_admin"}, nil, []string{"CAP_NET_ADMIN", "CAP_CHOWN"}, nil},
		{"drop with prefix", nil, []string{"CAP_CHOWN", "Net_Raw"}, []string{"CAP_KILL"}, []string{"CAP_CHOWN", "CAP_NET_RAW"}},
		{"drop all add one", []string{"chown"}, []string{"ALL"}, []string{"CAP_CHOWN"}, []string{"CAP_KILL", "CAP_SETUID"}},
		{"add all drop one", []string{"all"}, []string{"sys_admin"}, []string{"CAP_SYS_PTRACE", "CAP_NET_ADMIN"}, []string{"CAP_SYS_ADMIN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := testInput(t)
			in.HostConfig.CapAdd, in.HostConfig.CapDrop = tc.add, tc.drop
			caps := mustGenerate(t, in).Process.Capabilities.Bounding
			for _, c := range tc.has {
				if !slices.Contains(caps, c) {
					t.Errorf("%s missing from %q", c, caps)
				}
			}
			for _, c := range tc.lack {
				if slices.Contains(caps, c) {
					t.Errorf("%s present in %q", c, caps)
				}
			}
		})
	}
	in := testInput(t)
	in.HostConfig.CapDrop = []string{"ALL"}
	if caps := mustGenerate(t, in).Process.Capabilities; caps.Bounding == nil || len(caps.Bounding) != 0 {
		t.Errorf("--cap-drop ALL: %+v", caps)
	}
	in.HostConfig.CapAdd = []string{"CAP_BOGUS"}
	wantInvalid(t, in, `unknown capability: "CAP_BOGUS"`)
}

func TestGeneratePrivileged(t *testing.T) {
	in := testInput(t)
	in.HostConfig.Privileged = true
	in.HostConfig.ReadonlyRootfs = true
	in.HostConfig.SecurityOpt = []string{"seccomp=unconfined"}
	s := mustGenerate(t, in)
	caps := s.Process.Capabilities.Bounding
	for _, c := range []string{"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_CHOWN"} {
		if !slices.Contains(caps, c) {
			t.Errorf("privileged lacks %s", c)
		}
	}
	if len(s.Linux.MaskedPaths)+len(s.Linux.ReadonlyPaths) != 0 || s.Linux.Seccomp != nil {
		t.Errorf("masked %q readonly %q seccomp %v", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths, s.Linux.Seccomp != nil)
	}
	for _, dst := range []string{"/sys", "/sys/fs/cgroup"} {
		if slices.Contains(findMount(t, s, dst).Options, "ro") {
			t.Errorf("privileged %s is read-only", dst)
		}
	}
	rules := s.Linux.Resources.Devices
	if len(rules) != 1 || !rules[0].Allow || rules[0].Access != "rwm" {
		t.Errorf("privileged device rules %+v", rules)
	}
	if !slices.ContainsFunc(s.Linux.Devices, func(d specs.LinuxDevice) bool { return d.Path == "/dev/null" }) {
		t.Errorf("privileged devices lack /dev/null: %d devices", len(s.Linux.Devices))
	}
	for _, d := range s.Linux.Devices {
		if strings.HasPrefix(d.Path, "/dev/pts/") || d.Path == "/dev/console" || d.Path == "/dev/ptmx" {
			t.Errorf("privileged devices include %s", d.Path)
		}
	}
	// Without an explicit choice a privileged container is unconfined too.
	in.HostConfig.SecurityOpt = nil
	if s := mustGenerate(t, in); s.Linux.Seccomp != nil {
		t.Error("privileged container got a seccomp profile")
	}
}

func TestGenerateReadonlyAndTmpfs(t *testing.T) {
	in := testInput(t)
	in.HostConfig.ReadonlyRootfs = true
	in.HostConfig.ShmSize = 1 << 20
	in.HostConfig.Tmpfs = map[string]string{"/run": "", "/tmp": "rw,size=64m,exec", "/run/lock/": "mode=1777"}
	in.Mounts = []specs.Mount{
		{Destination: "/data/sub", Type: "bind", Source: "/host/sub", Options: []string{"rbind", ""}},
		{Destination: "/data", Type: "bind", Source: "/host/data", Options: []string{"rbind", "rshared"}},
	}
	s := mustGenerate(t, in)
	if !s.Root.Readonly {
		t.Error("root is not read-only")
	}
	want := []string{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm",
		"/data", "/run", "/tmp", "/etc/resolv.conf", "/etc/hostname", "/etc/hosts", "/data/sub", "/run/lock"}
	if got := destinations(s.Mounts); !reflect.DeepEqual(got, want) {
		t.Fatalf("mounts %q, want %q", got, want)
	}
	if h := findMount(t, s, "/etc/hosts"); !slices.Contains(h.Options, "ro") {
		t.Errorf("/etc/hosts writable under --read-only: %q", h.Options)
	}
	if shm := findMount(t, s, "/dev/shm"); !slices.Contains(shm.Options, "size=1048576") || slices.Contains(shm.Options, "ro") {
		t.Errorf("/dev/shm options %q", shm.Options)
	}
	if got := findMount(t, s, "/tmp").Options; !reflect.DeepEqual(got, []string{"nosuid", "nodev", "rprivate", "rw", "size=64m", "exec"}) {
		t.Errorf("/tmp options %q", got)
	}
	if got := findMount(t, s, "/run").Options; !reflect.DeepEqual(got, []string{"noexec", "nosuid", "nodev", "rprivate"}) {
		t.Errorf("/run options %q", got)
	}
	if got := findMount(t, s, "/data/sub").Options; !reflect.DeepEqual(got, []string{"rbind"}) {
		t.Errorf("empty option not dropped: %q", got)
	}
	if s.Linux.RootfsPropagation != "shared" {
		t.Errorf("rootfsPropagation %q, want shared for an rshared bind", s.Linux.RootfsPropagation)
	}

	in = testInput(t)
	in.HostConfig.Tmpfs = map[string]string{"relative": ""}
	wantInvalid(t, in, "must be absolute")
	in.HostConfig.Tmpfs = map[string]string{"/x": ""}
	in.Mounts = []specs.Mount{{Destination: "/x/", Type: "bind", Source: "/y"}}
	if _, err := Generate(in); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("duplicate mount point: %v", err)
	}
}

// A user mount on a default destination replaces the default; a user /dev
// replaces everything under /dev.
func TestGenerateUserMountOverrides(t *testing.T) {
	in := testInput(t)
	in.Mounts = []specs.Mount{
		{Destination: "/dev/shm", Type: "bind", Source: "/host/shm", Options: []string{"rbind"}},
		{Destination: "/etc/hosts", Type: "bind", Source: "/my/hosts", Options: []string{"rbind", "ro"}},
	}
	s := mustGenerate(t, in)
	if m := findMount(t, s, "/dev/shm"); m.Source != "/host/shm" {
		t.Errorf("/dev/shm %+v", m)
	}
	if m := findMount(t, s, "/etc/hosts"); m.Source != "/my/hosts" {
		t.Errorf("/etc/hosts %+v", m)
	}
	if n := len(s.Mounts); n != 10 {
		t.Errorf("%d mounts, want 10: %q", n, destinations(s.Mounts))
	}
	in.Mounts = []specs.Mount{{Destination: "/dev", Type: "bind", Source: "/dev", Options: []string{"rbind"}}}
	s = mustGenerate(t, in)
	for _, d := range destinations(s.Mounts) {
		if strings.HasPrefix(d, "/dev/") {
			t.Errorf("%s kept under a user /dev", d)
		}
	}
}

func TestGenerateNamespaces(t *testing.T) {
	in := testInput(t)
	in.HostConfig.NetworkMode = "host"
	in.HostConfig.PidMode = "host"
	in.HostConfig.IpcMode = "host"
	in.HostConfig.UTSMode = "host"
	in.HostConfig.CgroupnsMode = "host"
	in.HostConfig.Init = new(true)
	s := mustGenerate(t, in)
	if got := nsTypes(s); !reflect.DeepEqual(got, []specs.LinuxNamespaceType{specs.MountNamespace}) {
		t.Errorf("namespaces %q, want mount only", got)
	}
	if s.Hostname != "" || s.Annotations[AnnotationInit] != "" {
		t.Errorf("hostname %q annotations %v", s.Hostname, s.Annotations)
	}
	if !slices.Contains(s.Process.Env, "HOSTNAME=0123456789ab") {
		t.Errorf("env %q lacks the container's hostname", s.Process.Env)
	}
	if m := findMount(t, s, "/dev/shm"); m.Type != "bind" || m.Source != "/dev/shm" {
		t.Errorf("--ipc host /dev/shm %+v", m)
	}
	if _, ok := s.Linux.Sysctl["net.ipv4.ping_group_range"]; ok {
		t.Error("network sysctl set in the host's network namespace")
	}

	in = testInput(t)
	in.NetNSPath = "/run/netns/x"
	in.HostConfig.IpcMode = "none"
	in.HostConfig.Init = new(true)
	in.HostConfig.Annotations = map[string]string{"a": "b"}
	s = mustGenerate(t, in)
	if s.Linux.Namespaces[1] != (specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/run/netns/x"}) {
		t.Errorf("netns %+v", s.Linux.Namespaces[1])
	}
	if slices.Contains(destinations(s.Mounts), "/dev/shm") {
		t.Error("--ipc none still has /dev/shm")
	}
	if !reflect.DeepEqual(s.Annotations, map[string]string{"a": "b", AnnotationInit: "true"}) {
		t.Errorf("annotations %v", s.Annotations)
	}

	for mode, msg := range map[string]string{"ipc": "not supported yet", "pid": "not supported yet"} {
		in = testInput(t)
		if mode == "ipc" {
			in.HostConfig.IpcMode = "container:abc"
		} else {
			in.HostConfig.PidMode = "container:abc"
		}
		wantInvalid(t, in, msg)
	}
	in = testInput(t)
	in.HostConfig.IpcMode = "bogus"
	wantInvalid(t, in, "invalid IPC mode: bogus")
}
