package spec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestGenerateSysctls(t *testing.T) {
	in := testInput(t)
	in.HostConfig.Sysctls = map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmax": "1000", "fs.mqueue.msg_max": "20"}
	s := mustGenerate(t, in)
	for k, v := range in.HostConfig.Sysctls {
		if s.Linux.Sysctl[k] != v {
			t.Errorf("sysctl %s = %q, want %q", k, s.Linux.Sysctl[k], v)
		}
	}
	if s.Linux.Sysctl["net.ipv4.ip_unprivileged_port_start"] != "0" {
		t.Errorf("docker's default sysctls missing: %v", s.Linux.Sysctl)
	}
	for _, tc := range []struct {
		key, network, ipc, msg string
	}{
		{"kernel.panic", "", "", "sysctl 'kernel.panic' is not allowed"},
		{"vm.swappiness", "", "", "is not allowed"},
		{"net.ipv4.ip_forward", "host", "", "host's network namespace"},
		{"kernel.msgmax", "", "host", "host's IPC namespace"},
	} {
		in := testInput(t)
		in.HostConfig.Sysctls = map[string]string{tc.key: "1"}
		in.HostConfig.NetworkMode = ctypes.NetworkMode(tc.network)
		in.HostConfig.IpcMode = ctypes.IpcMode(tc.ipc)
		wantInvalid(t, in, tc.msg)
	}
}

func TestGenerateSecurityOpts(t *testing.T) {
	for _, opt := range []string{"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"} {
		in := testInput(t)
		in.HostConfig.SecurityOpt = []string{opt, "apparmor=unconfined", "label=disable"}
		if !mustGenerate(t, in).Process.NoNewPrivileges {
			t.Errorf("%s: noNewPrivileges not set", opt)
		}
	}
	in := testInput(t)
	in.HostConfig.SecurityOpt = []string{"no-new-privileges=false"}
	if mustGenerate(t, in).Process.NoNewPrivileges {
		t.Error("no-new-privileges=false set it")
	}
	for opt, msg := range map[string]string{
		"no-new-privileges=maybe": "invalid --security-opt 2",
		"bogus=1":                 "invalid --security-opt 2",
		"bogus":                   "invalid --security-opt 1",
	} {
		in.HostConfig.SecurityOpt = []string{opt}
		wantInvalid(t, in, msg)
	}
}

func TestGenerateSeccomp(t *testing.T) {
	in := testInput(t)
	in.HostConfig.SecurityOpt = []string{"seccomp=unconfined"}
	if s := mustGenerate(t, in); s.Linux.Seccomp != nil {
		t.Error("seccomp=unconfined has a profile")
	}

	profile := `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["chmod","fchmodat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`
	file := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(file, []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]string{"inline json": profile, "file path": file} {
		in.HostConfig.SecurityOpt = []string{"seccomp=" + value}
		sc := mustGenerate(t, in).Linux.Seccomp
		if sc == nil || sc.DefaultAction != specs.ActAllow || len(sc.Syscalls) != 1 ||
			!reflect.DeepEqual(sc.Syscalls[0].Names, []string{"chmod", "fchmodat"}) {
			t.Errorf("%s: profile %+v", name, sc)
		}
	}
	in.HostConfig.SecurityOpt = []string{"seccomp={not json"}
	wantInvalid(t, in, "seccomp")
	in.HostConfig.SecurityOpt = []string{"seccomp=/nonexistent/profile.json"}
	if _, err := Generate(in); !errors.Is(err, errdefs.ErrInvalid) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing profile file: %v", err)
	}

	// The default profile follows the capabilities: CAP_SYS_ADMIN opens
	// mount(2) and friends.
	in = testInput(t)
	base := mustGenerate(t, in).Linux.Seccomp
	in.HostConfig.CapAdd = []string{"SYS_ADMIN"}
	admin := mustGenerate(t, in).Linux.Seccomp
	if !allows(admin, "mount") || allows(base, "mount") {
		t.Errorf("mount allowed: default %v, with SYS_ADMIN %v", allows(base, "mount"), allows(admin, "mount"))
	}
}

func allows(sc *specs.LinuxSeccomp, name string) bool {
	for _, s := range sc.Syscalls {
		if s.Action == specs.ActAllow && slices.Contains(s.Names, name) {
			return true
		}
	}
	return false
}

func TestGenerateRlimits(t *testing.T) {
	host := hostNofileHard()
	in := testInput(t)
	s := mustGenerate(t, in)
	if len(s.Process.Rlimits) != 1 {
		t.Fatalf("rlimits %+v", s.Process.Rlimits)
	}
	rl := s.Process.Rlimits[0]
	if rl.Type != "RLIMIT_NOFILE" || rl.Hard > host || rl.Soft > host || rl.Hard != min(host, defaultNofile) {
		t.Errorf("default nofile %+v exceeds the host's hard limit %d", rl, host)
	}
	// Explicit values pass through, even above the host's limit (the
	// runtime then fails clearly); -1 is unlimited.
	in.HostConfig.Ulimits = []*ctypes.Ulimit{{Name: "nofile", Soft: 2048, Hard: int64(host) + 1000}, {Name: "core", Soft: -1, Hard: -1}}
	s = mustGenerate(t, in)
	want := []specs.POSIXRlimit{
		{Type: "RLIMIT_NOFILE", Soft: 2048, Hard: host + 1000},
		{Type: "RLIMIT_CORE", Soft: ^uint64(0), Hard: ^uint64(0)},
	}
	if !reflect.DeepEqual(s.Process.Rlimits, want) {
		t.Errorf("rlimits %+v, want %+v", s.Process.Rlimits, want)
	}
	// Only the default is clamped: other explicit limits keep a default nofile.
	in.HostConfig.Ulimits = []*ctypes.Ulimit{{Name: "nproc", Soft: 100, Hard: 200}}
	s = mustGenerate(t, in)
	if len(s.Process.Rlimits) != 2 || s.Process.Rlimits[1].Type != "RLIMIT_NOFILE" || s.Process.Rlimits[1].Hard > host {
		t.Errorf("rlimits %+v", s.Process.Rlimits)
	}
	// The clamp itself, for a host allowing more and less than the default.
	if got := rlimits(nil, 20000); got[0].Soft != 20000 || got[0].Hard != 20000 {
		t.Errorf("clamp to 20000: %+v", got)
	}
	if got := rlimits(nil, 1<<30); got[0].Soft != defaultNofile || got[0].Hard != defaultNofile {
		t.Errorf("no clamp under a high host limit: %+v", got)
	}
	in.HostConfig.Ulimits = []*ctypes.Ulimit{{Name: "nofile", Soft: 10, Hard: 5}}
	wantInvalid(t, in, "soft limit must be less than or equal to hard limit")
	in.HostConfig.Ulimits = []*ctypes.Ulimit{{Name: "bogus", Soft: 1, Hard: 1}}
	wantInvalid(t, in, "invalid ulimit type: bogus")
}

func TestGenerateResources(t *testing.T) {
	in := testInput(t)
	r := &in.HostConfig.Resources
	r.Memory, r.MemoryReservation = 64<<20, 32<<20
	r.NanoCPUs = 500000000
	r.CPUShares = 512
	r.CpusetCpus = "0"
	r.PidsLimit = new(int64(100))
	r.OomKillDisable = new(true)
	in.CgroupParent = "/custom"
	s := mustGenerate(t, in)
	res := s.Linux.Resources
	if *res.Memory.Limit != 64<<20 || *res.Memory.Reservation != 32<<20 || !*res.Memory.DisableOOMKiller {
		t.Errorf("memory %+v", res.Memory)
	}
	if swapSupported() && (res.Memory.Swap == nil || *res.Memory.Swap != 128<<20) {
		t.Errorf("swap %v, want twice the memory", res.Memory.Swap)
	}
	if *res.CPU.Quota != 50000 || *res.CPU.Period != 100000 || *res.CPU.Shares != 512 || res.CPU.Cpus != "0" {
		t.Errorf("cpu %+v", res.CPU)
	}
	if *res.Pids.Limit != 100 || len(res.Devices) == 0 || s.Linux.CgroupsPath != "/custom/"+testID {
		t.Errorf("pids %+v devices %d cgroupsPath %q", res.Pids, len(res.Devices), s.Linux.CgroupsPath)
	}

	r.MemorySwap = -1
	r.PidsLimit = new(int64(-1))
	res = mustGenerate(t, in).Linux.Resources
	if (swapSupported() && *res.Memory.Swap != -1) || res.Pids != nil {
		t.Errorf("unlimited swap %v pids %+v", res.Memory.Swap, res.Pids)
	}

	for _, tc := range []struct {
		set func(*ctypes.Resources)
		msg string
	}{
		{func(r *ctypes.Resources) { r.Memory = 1 << 20 }, "Minimum memory limit allowed is 6MB"},
		{func(r *ctypes.Resources) { r.Memory, r.MemorySwap = 64<<20, 32<<20 }, "Minimum memoryswap limit should be larger than memory limit"},
		{func(r *ctypes.Resources) { r.MemorySwap = 64 << 20 }, "You should always set the Memory limit when using Memoryswap limit"},
		{func(r *ctypes.Resources) { r.Memory, r.MemoryReservation = 64<<20, 128<<20 }, "Minimum memory limit can not be less than memory reservation limit"},
		{func(r *ctypes.Resources) { r.NanoCPUs, r.CPUPeriod = 1e9, 100000 }, "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
		{func(r *ctypes.Resources) { r.NanoCPUs, r.CPUQuota = 1e9, 100000 }, "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
		{func(r *ctypes.Resources) { r.NanoCPUs = 1 << 50 }, "range of CPUs is from 0.01 to"},
		{func(r *ctypes.Resources) { r.CPUPeriod = 10 }, "CPU cfs period can not be less than 1ms"},
		{func(r *ctypes.Resources) { r.CPUShares = -1 }, "invalid CPU shares"},
		{func(r *ctypes.Resources) { r.CpusetCpus = "9999" }, "Requested CPUs are not available"},
		{func(r *ctypes.Resources) { r.CpusetCpus = "a-b" }, "Invalid value a-b for cpuset cpus"},
		{func(r *ctypes.Resources) { r.BlkioWeight = 5 }, "Range of blkio weight is from 10 to 1000"},
	} {
		in := testInput(t)
		tc.set(&in.HostConfig.Resources)
		wantInvalid(t, in, tc.msg)
	}
	in = testInput(t)
	in.CgroupParent = "../../escape"
	if _, err := Generate(in); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("cgroup parent with ..: %v", err)
	}
}

func TestGenerateDevices(t *testing.T) {
	in := testInput(t)
	in.HostConfig.Devices = []ctypes.DeviceMapping{
		{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rw"},
		{PathOnHost: "/dev/zero", CgroupPermissions: "rwm"},
	}
	in.HostConfig.DeviceCgroupRules = []string{"c 42:* rmw"}
	s := mustGenerate(t, in)
	if len(s.Linux.Devices) != 2 {
		t.Fatalf("devices %+v", s.Linux.Devices)
	}
	d := s.Linux.Devices[0]
	if d.Path != "/dev/mynull" || d.Type != "c" || d.Major != 1 || d.Minor != 3 || d.FileMode == nil {
		t.Errorf("device %+v", d)
	}
	if s.Linux.Devices[1].Path != "/dev/zero" {
		t.Errorf("device %+v", s.Linux.Devices[1])
	}
	rules := s.Linux.Resources.Devices
	wantTail := []specs.LinuxDeviceCgroup{
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rw"},
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(5), Access: "rwm"},
		{Allow: true, Type: "c", Major: i64(42), Access: "rmw"},
	}
	if got := rules[len(rules)-3:]; !reflect.DeepEqual(got, wantTail) {
		t.Errorf("device rules end %+v, want %+v", got, wantTail)
	}

	// A directory maps every node in it.
	dir := t.TempDir()
	if err := os.Symlink("/dev/null", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	in.HostConfig.DeviceCgroupRules = nil
	in.HostConfig.Devices = []ctypes.DeviceMapping{{PathOnHost: filepath.Join(dir, "link"), PathInContainer: "/dev/viaLink", CgroupPermissions: "r"}}
	if s := mustGenerate(t, in); len(s.Linux.Devices) != 1 || s.Linux.Devices[0].Major != 1 || s.Linux.Devices[0].Path != "/dev/viaLink" {
		t.Errorf("symlinked device %+v", s.Linux.Devices)
	}

	for _, tc := range []struct {
		m   ctypes.DeviceMapping
		msg string
	}{
		{ctypes.DeviceMapping{PathOnHost: "/dev/does-not-exist", CgroupPermissions: "rwm"}, "error gathering device information while adding custom device"},
		{ctypes.DeviceMapping{PathOnHost: dir, CgroupPermissions: "rwm"}, "error gathering device information"},
		{ctypes.DeviceMapping{PathOnHost: "/dev/null", CgroupPermissions: "rwx"}, "invalid device mode: rwx"},
		{ctypes.DeviceMapping{PathOnHost: "/dev/null", PathInContainer: "rel", CgroupPermissions: "r"}, "is not an absolute path"},
	} {
		in := testInput(t)
		in.HostConfig.Devices = []ctypes.DeviceMapping{tc.m}
		wantInvalid(t, in, tc.msg)
	}
	in = testInput(t)
	in.HostConfig.DeviceCgroupRules = []string{"x 1:2 rwm"}
	wantInvalid(t, in, "invalid device cgroup rule format")
}

func TestMergeTmpfsOptions(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"noexec", "nosuid", "nodev", "rprivate", "exec"}, []string{"nosuid", "nodev", "rprivate", "exec"}},
		{[]string{"size=1m", "mode=755", "size=2m"}, []string{"mode=755", "size=2m"}},
		{[]string{"rprivate", "shared", "ro", "rw"}, []string{"shared", "rw"}},
	} {
		if got := mergeTmpfsOptions(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("mergeTmpfsOptions(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Validate refuses at create time what needs no rootfs or host device.
func TestValidate(t *testing.T) {
	cfg := &ctypes.Config{Cmd: []string{"sh"}}
	if err := Validate(cfg, &ctypes.HostConfig{}); err != nil {
		t.Fatalf("Validate(defaults) = %v", err)
	}
	for name, hc := range map[string]*ctypes.HostConfig{
		"memory":   {Resources: ctypes.Resources{Memory: 1}},
		"cap":      {CapAdd: []string{"nope"}},
		"sysctl":   {Sysctls: map[string]string{"kernel.panic": "1"}},
		"secopt":   {SecurityOpt: []string{"x=y"}},
		"tmpfs":    {Tmpfs: map[string]string{"/": ""}},
		"ulimit":   {Resources: ctypes.Resources{Ulimits: []*ctypes.Ulimit{{Name: "x"}}}},
		"pid mode": {PidMode: "container:x"},
		"oom":      {OomScoreAdj: 1001},
		"shm":      {ShmSize: -1},
	} {
		if err := Validate(cfg, hc); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", name, err)
		}
	}
	if err := Validate(&ctypes.Config{Cmd: []string{"sh"}, WorkingDir: "rel"}, &ctypes.HostConfig{}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("relative workdir: %v", err)
	}
	if err := Validate(&ctypes.Config{}, &ctypes.HostConfig{}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("no command: %v", err)
	}
}
