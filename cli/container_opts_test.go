package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/runtime"
	"github.com/spf13/cobra"
)

// parseArgs parses a run/create command line the way newCreateCmd does.
func parseArgs(t *testing.T, args ...string) (engine.CreateOptions, error) {
	t.Helper()
	cmd := &cobra.Command{Use: "create"}
	o := addContainerFlags(cmd.Flags())
	if err := cmd.Flags().Parse(args); err != nil {
		return engine.CreateOptions{}, err
	}
	rest := cmd.Flags().Args()
	if len(rest) == 0 {
		t.Fatalf("no image in %q", args)
	}
	o.image, o.args = rest[0], rest[1:]
	return o.parse(cmd.Flags())
}

func mustParse(t *testing.T, args ...string) engine.CreateOptions {
	t.Helper()
	co, err := parseArgs(t, args...)
	if err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return co
}

func TestParseEnvAndEnvFile(t *testing.T) {
	t.Setenv("H6_SET", "from-cli")
	os.Unsetenv("H6_UNSET")
	file := filepath.Join(t.TempDir(), "env")
	content := "# a comment\n\nA=1\nB=two words\nH6_SET\nH6_UNSET\nC=3\n"
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	co := mustParse(t, "--env-file", file, "-e", "C=override", "-e", "H6_SET", "-e", "H6_UNSET", "-e", "D=", "busybox")
	want := []string{"A=1", "B=two words", "H6_SET=from-cli", "C=3", "C=override", "H6_SET=from-cli", "D="}
	if !reflect.DeepEqual(co.Config.Env, want) {
		t.Fatalf("env = %q, want %q", co.Config.Env, want)
	}
	if _, err := parseArgs(t, "-e", "=x", "busybox"); err == nil || err.Error() != `invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x` {
		t.Fatalf("-e =x: err %v", err)
	}
	if _, err := parseArgs(t, "--env-file", filepath.Join(t.TempDir(), "missing"), "busybox"); err == nil || !strings.HasPrefix(err.Error(), "--env-file: ") {
		t.Fatalf("missing env file: err %v", err)
	}
}

func TestParseVolumes(t *testing.T) {
	wd, _ := os.Getwd()
	tests := []struct {
		spec  string
		bind  string // "" = anonymous
		anon  string
		error string
	}{
		{spec: "/data", anon: "/data"},
		{spec: "vol:/data", bind: "vol:/data"},
		{spec: "/host:/c:ro", bind: "/host:/c:ro"},
		{spec: "/host:/c:ro,rshared", bind: "/host:/c:ro,rshared"},
		{spec: "./rel:/c", bind: filepath.Join(wd, "rel") + ":/c"},
		{spec: "vol:rel", error: "mount path must be absolute"},
		{spec: "/a:/b:bogus", error: "invalid mode: bogus"},
		{spec: "a::/b", error: "empty section between colons"},
		{spec: "/a:/b:ro:x", error: "too many colons"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			co, err := parseArgs(t, "-v", tc.spec, "busybox")
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) {
					t.Fatalf("err %v, want %q", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.anon != "" {
				if _, ok := co.Config.Volumes[tc.anon]; !ok || len(co.HostConfig.Binds) != 0 {
					t.Fatalf("volumes %v binds %v, want anonymous %s", co.Config.Volumes, co.HostConfig.Binds, tc.anon)
				}
				return
			}
			if !reflect.DeepEqual(co.HostConfig.Binds, []string{tc.bind}) || len(co.Config.Volumes) != 0 {
				t.Fatalf("binds %v volumes %v, want %s", co.HostConfig.Binds, co.Config.Volumes, tc.bind)
			}
		})
	}
}

func TestParseRestartPolicy(t *testing.T) {
	tests := []struct {
		in    string
		want  ctypes.RestartPolicy
		error string
	}{
		{in: "no", want: ctypes.RestartPolicy{Name: "no"}},
		{in: "always", want: ctypes.RestartPolicy{Name: "always"}},
		{in: "unless-stopped", want: ctypes.RestartPolicy{Name: "unless-stopped"}},
		{in: "on-failure", want: ctypes.RestartPolicy{Name: "on-failure"}},
		{in: "on-failure:3", want: ctypes.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}},
		{in: "on-failure:x", error: "maximum retry count must be an integer"},
		{in: "on-failure:-1", error: "maximum retry count cannot be negative"},
		{in: ":3", error: "no policy provided before colon"},
		{in: "always:3", error: "can only be used with 'on-failure'"},
		{in: "bogus", error: "invalid restart policy: unknown policy 'bogus'"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			co, err := parseArgs(t, "--restart", tc.in, "busybox")
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) {
					t.Fatalf("err %v, want %q", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if co.HostConfig.RestartPolicy != tc.want {
				t.Fatalf("got %+v, want %+v", co.HostConfig.RestartPolicy, tc.want)
			}
		})
	}
	if _, err := parseArgs(t, "--rm", "--restart", "always", "busybox"); err == nil || err.Error() != "conflicting options: cannot specify both --restart and --rm" {
		t.Fatalf("--rm --restart: err %v", err)
	}
}

func TestParseHealth(t *testing.T) {
	co := mustParse(t, "--health-cmd", "true", "--health-interval", "2s", "--health-retries", "3", "busybox")
	h := co.Config.Healthcheck
	if h == nil || !reflect.DeepEqual(h.Test, []string{"CMD-SHELL", "true"}) || h.Interval.String() != "2s" || h.Retries != 3 {
		t.Fatalf("health %+v", h)
	}
	if co := mustParse(t, "--no-healthcheck", "busybox"); !reflect.DeepEqual(co.Config.Healthcheck.Test, []string{"NONE"}) {
		t.Fatalf("no-healthcheck: %+v", co.Config.Healthcheck)
	}
	if co := mustParse(t, "busybox"); co.Config.Healthcheck != nil {
		t.Fatalf("default health %+v, want nil (the image's)", co.Config.Healthcheck)
	}
	for args, want := range map[string]string{
		"--no-healthcheck --health-cmd=true": "--no-healthcheck conflicts with --health-* options",
		"--health-interval=-1s":              "--health-interval cannot be negative",
		"--health-timeout=-1s":               "--health-timeout cannot be negative",
		"--health-retries=-1":                "--health-retries cannot be negative",
		"--health-start-period=-1s":          "--health-start-period cannot be negative",
		"--health-start-interval=-1s":        "--health-start-interval cannot be negative",
	} {
		_, err := parseArgs(t, append(strings.Fields(args), "busybox")...)
		if err == nil || err.Error() != want {
			t.Errorf("%s: err %v, want %q", args, err, want)
		}
	}
}

func TestParseResources(t *testing.T) {
	co := mustParse(t, "-m", "32m", "--memory-swap", "-1", "--memory-reservation", "1g", "--cpus", "1.5",
		"-c", "512", "--pids-limit", "64", "--shm-size", "128k", "--ulimit", "nofile=1024:2048",
		"--ulimit", "nofile=10:20", "--sysctl", "net.ipv4.ip_forward=1", "busybox")
	r := co.HostConfig.Resources
	if r.Memory != 32<<20 || r.MemorySwap != -1 || r.MemoryReservation != 1<<30 || r.NanoCPUs != 1_500_000_000 || r.CPUShares != 512 {
		t.Fatalf("resources %+v", r)
	}
	if r.PidsLimit == nil || *r.PidsLimit != 64 || co.HostConfig.ShmSize != 128<<10 {
		t.Fatalf("pids %v shm %d", r.PidsLimit, co.HostConfig.ShmSize)
	}
	if len(r.Ulimits) != 1 || r.Ulimits[0].Soft != 10 || r.Ulimits[0].Hard != 20 {
		t.Fatalf("ulimits %v", r.Ulimits)
	}
	if co.HostConfig.Sysctls["net.ipv4.ip_forward"] != "1" {
		t.Fatalf("sysctls %v", co.HostConfig.Sysctls)
	}
	if r := mustParse(t, "busybox").HostConfig.Resources; r.PidsLimit != nil || r.OomKillDisable != nil || r.MemorySwappiness != nil {
		t.Fatalf("defaults should leave pointers nil: %+v", r)
	}
	for _, args := range [][]string{
		{"-m", "lots"}, {"--cpus", "0.0000000001"}, {"--cpus", "x"}, {"--ulimit", "nofile"},
		{"--sysctl", "kernel.hostname=x"}, {"--memory-swap", "-2"},
	} {
		if _, err := parseArgs(t, append(args, "busybox")...); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestParseMisc(t *testing.T) {
	co := mustParse(t, "--entrypoint", "", "-l", "a=b", "-l", "c", "--tmpfs", "/run:size=1m", "--tmpfs", "/tmp",
		"--init", "--stop-timeout", "3", "--cap-add", "NET_ADMIN", "-i", "--device", "/dev/fuse:rw",
		"--security-opt", "no-new-privileges", "--security-opt", "systempaths=unconfined",
		"--log-opt", "max-size=1m", "--network", "none", "-h", "box", "busybox", "sh", "-c", "exit 3")
	c, h := co.Config, co.HostConfig
	if !reflect.DeepEqual(c.Entrypoint, []string{""}) || !reflect.DeepEqual(c.Cmd, []string{"sh", "-c", "exit 3"}) {
		t.Fatalf("entrypoint %q cmd %q", c.Entrypoint, c.Cmd)
	}
	if !reflect.DeepEqual(c.Labels, map[string]string{"a": "b", "c": ""}) || c.Hostname != "box" {
		t.Fatalf("labels %v hostname %q", c.Labels, c.Hostname)
	}
	if !reflect.DeepEqual(h.Tmpfs, map[string]string{"/run": "size=1m", "/tmp": ""}) {
		t.Fatalf("tmpfs %v", h.Tmpfs)
	}
	if h.Init == nil || !*h.Init || c.StopTimeout == nil || *c.StopTimeout != 3 || h.NetworkMode != "none" {
		t.Fatalf("init %v stop-timeout %v network %q", h.Init, c.StopTimeout, h.NetworkMode)
	}
	if !c.OpenStdin || !c.AttachStdin || !c.StdinOnce || !c.AttachStdout || !c.AttachStderr {
		t.Fatalf("-i attach: %+v", c)
	}
	if len(h.Devices) != 1 || h.Devices[0] != (ctypes.DeviceMapping{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rw"}) {
		t.Fatalf("devices %+v", h.Devices)
	}
	if !reflect.DeepEqual(h.SecurityOpt, []string{"no-new-privileges"}) || h.MaskedPaths == nil || len(h.MaskedPaths) != 0 {
		t.Fatalf("security %q masked %v", h.SecurityOpt, h.MaskedPaths)
	}
	if h.LogConfig.Config["max-size"] != "1m" {
		t.Fatalf("log config %+v", h.LogConfig)
	}
	if co := mustParse(t, "busybox"); co.Config.Entrypoint != nil || co.Config.Cmd != nil || co.HostConfig.Init != nil || co.Config.StopTimeout != nil {
		t.Fatalf("defaults: entrypoint %q init %v", co.Config.Entrypoint, co.HostConfig.Init)
	}
	for args, want := range map[string]string{
		"--security-opt=bogus":            `invalid --security-opt: "bogus"`,
		"--log-driver=none --log-opt=a=b": "invalid logging opts for driver none",
		"--pid=bogus":                     "--pid: invalid PID mode",
		"--memory-swappiness=101":         "invalid value: 101. Valid memory swappiness range is 0-100",
		"-a=bogus":                        "valid streams are STDIN, STDOUT and STDERR",
		"--device=/dev/x:rel":             "rel is not an absolute path",
		"-l==x":                           `invalid argument "=x" for "-l, --label" flag: invalid label '=x': empty name`,
	} {
		_, err := parseArgs(t, append(strings.Fields(args), "busybox")...)
		if err == nil || err.Error() != want {
			t.Errorf("%s: err %v, want %q", args, err, want)
		}
	}
}

func TestParseMount(t *testing.T) {
	co := mustParse(t, "--mount", "type=bind,src=/a,dst=/b,ro,bind-propagation=rslave",
		"--mount", "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777", "--mount", "source=v,target=/v,volume-nocopy", "busybox")
	want := []mount.Mount{
		{Type: "bind", Source: "/a", Target: "/b", ReadOnly: true, BindOptions: &mount.BindOptions{Propagation: "rslave"}},
		{Type: "tmpfs", Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o1777}},
		{Type: "volume", Source: "v", Target: "/v", VolumeOptions: &mount.VolumeOptions{NoCopy: true}},
	}
	if !reflect.DeepEqual(co.HostConfig.Mounts, want) {
		t.Fatalf("mounts %+v", co.HostConfig.Mounts)
	}
	for _, spec := range []string{"type=bind,src=/a", "type=volume,dst=/x,bind-propagation=shared", "dst=/x,bogus=1", "dst=/x,ro=maybe", "dst"} {
		if _, err := parseArgs(t, "--mount", spec, "busybox"); err == nil {
			t.Errorf("--mount %s: no error", spec)
		}
	}
}

// TestUsageErrors runs the real create command: invalid values are status
// 125 with docker's message and help hint, before any engine is opened.
func TestUsageErrors(t *testing.T) {
	g := &Globals{Root: filepath.Join(t.TempDir(), "root"), RunRoot: filepath.Join(t.TempDir(), "run")}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--restart", "bogus", "busybox"}, 125, "invalid restart policy: unknown policy 'bogus'"},
		{[]string{"--memory", "bogus", "busybox"}, 125, `invalid argument "bogus" for "-m, --memory" flag`},
		{[]string{"--pull", "always", "busybox"}, 125, "--pull=always is not supported"},
		{[]string{"--pull", "sometimes", "busybox"}, 125, `invalid pull option: 'sometimes'`},
		{[]string{"--bogus", "busybox"}, 125, "unknown flag: --bogus"},
		{[]string{}, 1, `"create" requires at least 1 argument.`},
	} {
		cmd := newCreateCmd(g)
		cmd.SetArgs(tc.args)
		cmd.SetOut(&strings.Builder{})
		cmd.SetErr(&strings.Builder{})
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v (code %v), want %d %q", tc.args, err, ee, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(g.Root); err == nil {
		t.Errorf("a usage error opened the engine (created %s)", g.Root)
	}
}

func TestExitCode(t *testing.T) {
	noexec := fmt.Errorf("%w: exec %q: %w", runtime.ErrNoExecutable, "/x", syscall.ENOENT)
	denied := fmt.Errorf("%w: exec %q: %w", runtime.ErrNoExecutable, "/x", syscall.EACCES)
	isdir := fmt.Errorf("%w: exec %q: %w", runtime.ErrNoExecutable, "/x", syscall.EISDIR)
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("engine failure"), 125},
		{fmt.Errorf("starting: %w", noexec), 127},
		{fmt.Errorf("starting: %w", runtime.ErrNoExecutable), 127},
		{denied, 126},
		{isdir, 126},
		{&ExitError{Code: 3}, 3},
		{&ExitError{Code: 1, Err: noexec}, 1}, // the runtime commands keep their 1
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if err := verbError(errors.New("No such container: x")); ExitCode(err) != 1 {
		t.Errorf("verbError: code %d, want 1", ExitCode(err))
	}
	if err := containerError(denied); ExitCode(err) != 126 {
		t.Errorf("containerError: code %d, want 126", ExitCode(err))
	}
}

func TestParseDetachKeys(t *testing.T) {
	for in, want := range map[string][]byte{
		"":              {0x10, 0x11},
		"ctrl-p,ctrl-q": {0x10, 0x11},
		"a,ctrl-@":      {'a', 0},
		"ctrl-[,ctrl-_": {27, 31},
		"CTRL-A":        {1},
	} {
		got, err := parseDetachKeys(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseDetachKeys(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"ctrl-", "ab", "ctrl-1", "alt-x"} {
		if _, err := parseDetachKeys(in); err == nil || err.Error() != fmt.Sprintf("Invalid detach keys (%s) provided", in) {
			t.Errorf("parseDetachKeys(%q): err %v", in, err)
		}
	}
}
