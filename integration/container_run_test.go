package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRunExitCodes: docker's 125/126/127 and the container's own status.
func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"own status", []string{"run", "--rm", "busybox", "sh", "-c", "exit 3"}, 3, ""},
		{"success", []string{"run", "--rm", "busybox", "true"}, 0, ""},
		{"not found", []string{"run", "--rm", "busybox", "nosuchcmd"}, 127, "nosuchcmd"},
		{"not executable", []string{"run", "--rm", "busybox", "/etc/passwd"}, 126, "/etc/passwd"},
		{"bad flag", []string{"run", "--nosuchflag", "busybox", "true"}, 125, "nosuchflag"},
		{"missing image", []string{"run", "--rm", "nosuchimage:1", "true"}, 125, "nosuchimage"},
		{"signalled", []string{"run", "--rm", "--init", "busybox", "sh", "-c", "kill -9 $$"}, 137, ""},
	} {
		r := c.run(tc.args...)
		if r.code != tc.code {
			t.Errorf("%s: %v, want exit %d", tc.name, r, tc.code)
		}
		if tc.err != "" && !strings.Contains(r.stderr, tc.err) {
			t.Errorf("%s: stderr %q does not name %q", tc.name, r.stderr, tc.err)
		}
	}
	if out := c.ok("ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Errorf("--rm left containers: %q", out)
	}
	if m := mountsUnder(c.runroot); len(m) != 0 {
		t.Errorf("mounts left under the runroot: %v", m)
	}
}

// TestRunStdio: stdout and stderr stay apart, -i pipes stdin, env and
// workdir reach the process.
func TestRunStdio(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	r := c.run("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2")
	if r.code != 0 || r.stdout != "out\n" || r.stderr != "err\n" {
		t.Errorf("stdio: %v", r)
	}
	r = c.runIn(strings.NewReader("piped\n"), "run", "--rm", "-i", "busybox", "cat")
	if r.code != 0 || r.stdout != "piped\n" {
		t.Errorf("run -i: %v", r)
	}
	envFile := filepath.Join(t.TempDir(), "env")
	os.WriteFile(envFile, []byte("# comment\nFROMFILE=yes\n"), 0o644)
	out := c.ok("run", "--rm", "-e", "A=1", "--env-file", envFile, "-w", "/tmp", "--hostname", "box",
		"busybox", "sh", "-c", `echo "$A $FROMFILE $(pwd) $(hostname)"`)
	if out != "1 yes /tmp box\n" {
		t.Errorf("env/workdir/hostname: %q", out)
	}
}

// TestRunUser: -u resolves names from the image's /etc/passwd and
// /etc/group; --group-add adds groups.
func TestRunUser(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	if out := c.ok("run", "--rm", "-u", "nobody", "busybox", "id", "-u"); strings.TrimSpace(out) != "65534" {
		t.Errorf("-u nobody: id -u = %q", out)
	}
	if out := c.ok("run", "--rm", "-u", "1234:5678", "busybox", "id"); !strings.Contains(out, "uid=1234") || !strings.Contains(out, "gid=5678") {
		t.Errorf("-u 1234:5678: %q", out)
	}
	if out := c.ok("run", "--rm", "-u", "1000", "--group-add", "4242", "busybox", "id", "-G"); !strings.Contains(out, "4242") {
		t.Errorf("--group-add: %q", out)
	}
	if r := c.run("run", "--rm", "-u", "nosuchuser", "busybox", "true"); r.code == 0 {
		t.Errorf("unknown user accepted: %v", r)
	}
}

// TestRunReadOnlyAndTmpfs: --read-only makes / read-only; --tmpfs and the
// default /dev/shm stay writable.
func TestRunReadOnlyAndTmpfs(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	if r := c.run("run", "--rm", "--read-only", "busybox", "touch", "/x"); r.code == 0 {
		t.Errorf("write to a read-only rootfs succeeded: %v", r)
	}
	c.ok("run", "--rm", "--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c", "touch /scratch/x && touch /dev/shm/y")
	out := c.ok("run", "--rm", "--shm-size", "8m", "busybox", "df", "-k", "/dev/shm")
	if !strings.Contains(out, "8192") {
		t.Errorf("--shm-size 8m: %q", out)
	}
}

// TestRunDefaultsAreDockers: capabilities, masked paths, no new devices.
func TestRunDefaultsAreDockers(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	// CapEff of docker's default set is 0x00000000a80425fb.
	out := c.ok("run", "--rm", "busybox", "grep", "CapEff", "/proc/self/status")
	if !strings.Contains(out, "00000000a80425fb") {
		t.Errorf("default capabilities: %q", out)
	}
	if r := c.run("run", "--rm", "--cap-drop", "CHOWN", "busybox", "chown", "1:1", "/tmp"); r.code == 0 {
		t.Errorf("chown worked after --cap-drop CHOWN")
	}
	if out := c.ok("run", "--rm", "--privileged", "busybox", "grep", "CapEff", "/proc/self/status"); strings.Contains(out, "a80425fb") {
		t.Errorf("--privileged kept the default set: %q", out)
	}
	if out := c.ok("run", "--rm", "busybox", "cat", "/proc/keys"); out != "" {
		t.Errorf("/proc/keys is not masked: %q", out)
	}
	if r := c.run("run", "--rm", "busybox", "sh", "-c", "echo 1 > /proc/sys/kernel/domainname"); r.code == 0 {
		t.Errorf("/proc/sys is writable")
	}
	out = c.ok("run", "--rm", "--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs", "/proc/self/status")
	if !strings.Contains(out, "1") {
		t.Errorf("no-new-privileges: %q", out)
	}
	c.ok("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "true")
	if out := c.ok("run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "busybox", "cat", "/proc/sys/net/ipv4/ip_forward"); out != "1\n" {
		t.Errorf("--sysctl: %q", out)
	}
	if out := c.ok("run", "--rm", "--ulimit", "nofile=256:512", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn"); out != "256\n512\n" {
		t.Errorf("--ulimit: %q", out)
	}
}

// TestRunLimits: a fork bomb stops at --pids-limit; a memory hog under
// --memory is OOM-killed and inspect says so; the host is unaffected.
func TestRunLimits(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	r := c.run("run", "--name", "bomb", "--pids-limit", "20", "busybox", "sh", "-c",
		"i=0; while [ $i -lt 60 ]; do sleep 5 & i=$((i+1)); done; wait")
	if !strings.Contains(r.stderr+r.stdout, "fork") {
		t.Errorf("fork bomb was not stopped by --pids-limit 20: %v", r)
	}
	if got := c.inspectField("bomb", "{{.HostConfig.PidsLimit}}"); got != "20" {
		t.Errorf("PidsLimit %q", got)
	}
	r = c.run("run", "--name", "hog", "--memory", "32m", "--memory-swap", "32m", "busybox", "sh", "-c", "tail /dev/zero")
	if r.code != 137 {
		t.Errorf("memory hog: %v, want 137", r)
	}
	if got := c.inspectField("hog", "{{.State.OOMKilled}} {{.State.ExitCode}}"); got != "true 137" {
		t.Errorf("inspect after OOM: %q", got)
	}
}

// TestRunNetworkModes: none has only lo; host shares the host's interfaces.
func TestRunNetworkModes(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	out := c.ok("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net")
	if strings.Fields(out)[0] != "lo" || len(strings.Fields(out)) != 1 {
		t.Errorf("--network none interfaces: %q", out)
	}
	// Parallel tests add and remove bridges and veths on the host, so the
	// host's interface count is no reference: its default-route interface is.
	out = c.ok("run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net")
	if iface := defaultRouteIface(); iface != "" && !slices.Contains(strings.Fields(out), iface) {
		t.Errorf("--network host sees %q, not the host's %s", out, iface)
	}
	out = c.ok("run", "--rm", "busybox", "ls", "/sys/class/net")
	if f := strings.Fields(out); !slices.Equal(f, []string{"eth0", "lo"}) {
		t.Errorf("default (bridge) network interfaces: %q", out)
	}
}

// defaultRouteIface is the host's interface of its IPv4 default route, or "".
func defaultRouteIface() string {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 2 && f[1] == "00000000" {
			return f[0]
		}
	}
	return ""
}

// TestRunResources: --cpus, --cpu-shares, --cpuset-cpus, --device,
// --security-opt seccomp=<file> and --stop-timeout reach the container.
func TestRunResources(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	// The container sees its own cgroup (cgroup namespace) on v1 or v2.
	script := `if [ -e /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight /sys/fs/cgroup/cpuset.cpus;
else cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpuset/cpuset.cpus; fi`
	out := c.ok("run", "--rm", "--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0", "busybox", "sh", "-c", script)
	f := strings.Fields(out)
	if len(f) < 3 || !strings.Contains(out, "50000") || f[len(f)-1] != "0" {
		t.Errorf("cpu limits inside the container: %q", out)
	}
	if out := c.ok("run", "--rm", "--device", "/dev/null:/dev/mynull", "busybox", "sh", "-c", "echo x > /dev/mynull && echo ok"); out != "ok\n" {
		t.Errorf("--device: %q", out)
	}
	profile := filepath.Join(t.TempDir(), "seccomp.json")
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`), 0o644)
	if r := c.run("run", "--rm", "--security-opt", "seccomp="+profile, "busybox", "mkdir", "/tmp/x"); r.code == 0 {
		t.Errorf("seccomp profile file not applied: %v", r)
	}
	c.ok("run", "--rm", "--security-opt", "seccomp="+profile, "busybox", "touch", "/tmp/y")
	id := c.runD("--stop-timeout", "1", "busybox", "sleep", "100")
	if got := c.inspectField(id, "{{.Config.StopTimeout}}"); got != "1" {
		t.Errorf("StopTimeout %q", got)
	}
	c.ok("stop", id)
	if got := c.inspectField(id, "{{.State.ExitCode}}"); got != "137" {
		t.Errorf("stop with --stop-timeout 1: exit %s", got)
	}
}
