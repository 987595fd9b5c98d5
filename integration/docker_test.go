package integration

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/onggi/onggi/internal/testbundle"
)

// dockerd is a private Docker daemon started by a test: its data, exec
// root, socket, managed containerd and config live under dir, it uses no
// bridge, iptables or IP forwarding, and its containers go under a cgroup
// parent of its own, so nothing of the host's Docker, network or firewall
// is touched.
type dockerd struct {
	t            *testing.T
	dir          string // short: unix socket paths under it are limited to 108 bytes
	cgroupParent string // absolute, e.g. /onggi-dk-1234
	env          []string
	cmd          *exec.Cmd
	exited       chan struct{} // closed once cmd is reaped
	log          *os.File
}

// startDockerd starts the daemon with onggi-runc registered as the runtime
// "onggi" and waits until its API answers. Everything it leaves is removed
// at cleanup, also when the test fails.
func startDockerd(t *testing.T) *dockerd {
	t.Helper()
	dir, err := os.MkdirTemp("", "onggi-dk-")
	if err != nil {
		t.Fatal(err)
	}
	d := &dockerd{t: t, dir: dir, cgroupParent: "/" + filepath.Base(dir)}
	// Host paths dockerd 20.10 creates whatever its flags say; removed
	// again at cleanup when they did not exist before.
	restoreHost := keepAbsent("/etc/docker/key.json", "/run/docker/plugins", "/run/docker")
	t.Cleanup(func() {
		d.stop()
		d.removeLeftovers()
		restoreHost()
	})
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "DOCKER_")
	}), "DOCKER_HOST=unix://"+filepath.Join(dir, "docker.sock"), "DOCKER_CONFIG="+filepath.Join(dir, "cli"))
	d.cmd = exec.Command("dockerd",
		"--config-file", filepath.Join(dir, "daemon.json"),
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"),
		"-H", "unix://"+filepath.Join(dir, "docker.sock"),
		"--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none",
		"--storage-driver", "vfs",
		"--exec-opt", "native.cgroupdriver=cgroupfs",
		"--cgroup-parent", d.cgroupParent,
		"--add-runtime", "onggi="+runcBin,
		"--default-runtime", "runc")
	d.log = tempFile(t)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	d.cmd.Env = d.env
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting dockerd: %v", err)
	}
	d.exited = make(chan struct{})
	go func() { d.cmd.Wait(); close(d.exited) }()
	d.waitReady()
	return d
}

// waitReady polls `docker info`: dockerd has no readiness signal for a
// plain process. The deadline bounds setup; it is not an assertion.
func (d *dockerd) waitReady() {
	d.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		select {
		case <-d.exited:
			d.t.Fatalf("dockerd exited during startup: %v\nlog:\n%s", d.cmd.ProcessState, d.logText())
		default:
		}
		if d.run("info").code == 0 {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("dockerd did not answer within 60s; log:\n%s", d.logText())
		}
	}
}

// in returns d reporting to t, for subtests: a subtest must not fail its
// parent with FailNow.
func (d *dockerd) in(t *testing.T) *dockerd {
	c := *d
	c.t = t
	return &c
}

func (d *dockerd) logText() string { return readBack(d.t, d.log) }

// run runs the docker CLI against this daemon.
func (d *dockerd) run(args ...string) result {
	d.t.Helper()
	cmd := exec.Command("docker", args...)
	cmd.Env = d.env
	return runCmd(d.t, cmd)
}

// ok runs the docker CLI and fails the test unless it exits 0.
func (d *dockerd) ok(args ...string) string {
	d.t.Helper()
	r := d.run(args...)
	if r.code != 0 {
		d.t.Fatalf("docker %s: %v", strings.Join(args, " "), r)
	}
	return r.stdout
}

// stop removes the containers, then stops dockerd (which stops its
// managed containerd) and kills whatever of theirs survived.
func (d *dockerd) stop() {
	if d.exited == nil {
		return
	}
	if ids := strings.Fields(d.run("ps", "-aq").stdout); len(ids) > 0 {
		d.run(append([]string{"rm", "--force"}, ids...)...)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(60 * time.Second):
		d.t.Errorf("dockerd ignored SIGTERM for 60s; killing it")
		d.cmd.Process.Kill()
		<-d.exited
	}
	// A containerd or shim outlives dockerd only when dockerd failed to
	// stop it; both name our exec root on their command line.
	for _, pid := range pidsMentioning(filepath.Join(d.dir, "exec")) {
		d.t.Errorf("cleanup: pid %d survived dockerd; killing it", pid)
		unix.Kill(pid, unix.SIGKILL)
	}
}

// removeLeftovers kills processes left in the daemon's cgroups, removes
// the cgroups, unmounts everything under dir and deletes it.
func (d *dockerd) removeLeftovers() {
	for _, top := range cgroupDirs(d.cgroupParent) {
		filepath.WalkDir(top, func(path string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				killCgroupProcs(path)
			}
			return nil
		})
		removeCgroupTree(d.t, top)
	}
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(d.dir))
	if err != nil {
		d.t.Errorf("cleanup: reading mountinfo: %v", err)
	}
	// Deepest first, lazily: a busy mount must not keep the rest.
	slices.SortFunc(mounts, func(a, b *mountinfo.Info) int { return len(b.Mountpoint) - len(a.Mountpoint) })
	for _, m := range mounts {
		if err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			d.t.Errorf("cleanup: umount %s: %v", m.Mountpoint, err)
		}
	}
	if left, _ := mountinfo.GetMounts(mountinfo.PrefixFilter(d.dir)); len(left) > 0 {
		d.t.Errorf("cleanup: %d mounts left under %s", len(left), d.dir)
	}
	if err := os.RemoveAll(d.dir); err != nil {
		d.t.Errorf("cleanup: %v", err)
	}
}

// cgroupDirs lists the existing directories for a cgroup path in every
// hierarchy: the v2 root and each v1 controller mount.
func cgroupDirs(path string) []string {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", path))
	more, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/*", path))
	return append(dirs, more...)
}

func killCgroupProcs(dir string) {
	data, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil {
			unix.Kill(pid, unix.SIGKILL)
		}
	}
}

// removeCgroupTree removes a cgroup and its children, retrying while the
// killed processes are still being reaped.
func removeCgroupTree(t testing.TB, top string) {
	var dirs []string
	filepath.WalkDir(top, func(path string, e os.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	slices.Reverse(dirs)
	for _, dir := range dirs {
		err := os.Remove(dir)
		for deadline := time.Now().Add(10 * time.Second); errors.Is(err, unix.EBUSY) && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
			err = os.Remove(dir)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cleanup: removing cgroup %s: %v", dir, err)
		}
	}
}

// pidsMentioning lists processes whose command line contains s.
func pidsMentioning(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && strings.Contains(string(cmdline), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// keepAbsent notes which of paths do not exist and returns a function that
// removes those again (files, or directories once empty).
func keepAbsent(paths ...string) func() {
	var absent []string
	for _, p := range paths {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			absent = append(absent, p)
		}
	}
	return func() {
		for _, p := range absent {
			os.Remove(p)
		}
	}
}

// loadBusybox builds busybox:latest with onggi and loads it into d.
func (d *dockerd) loadBusybox() {
	d.t.Helper()
	img := newImageCLI(d.t)
	img.bootstrapBusybox()
	archive := filepath.Join(d.t.TempDir(), "busybox.tar")
	img.ok("save", "busybox", "-o", archive)
	if out := d.ok("load", "-i", archive); !strings.Contains(out, "busybox:latest") {
		d.t.Fatalf("docker load: %q", out)
	}
}

// TestDockerRunsOnggiRunc drives onggi-runc through dockerd's
// --add-runtime (dockerd → containerd → runc shim → onggi-runc), with
// Docker's own spec: its seccomp profile, masked paths, devices cgroup,
// blkio weight and cgroupfs paths.
func TestDockerRunsOnggiRunc(t *testing.T) {
	testbundle.RequireRoot(t)
	for _, bin := range []string{"dockerd", "docker", "containerd", "containerd-shim-runc-v2"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install docker.io)", bin)
		}
	}
	d := startDockerd(t)
	if !strings.Contains(d.ok("info", "--format", "{{json .Runtimes}}"), runcBin) {
		t.Fatalf("dockerd did not register the onggi runtime; log:\n%s", d.logText())
	}
	d.loadBusybox()
	run := []string{"run", "--runtime", "onggi", "--network", "none", "--cgroupns", "host"}

	t.Run("run", func(t *testing.T) { dockerRunOutput(t, d.in(t), run) })
	t.Run("exit-status", func(t *testing.T) {
		if r := d.in(t).run(append(run, "--rm", "busybox", "sh", "-c", "exit 7")...); r.code != 7 {
			t.Errorf("docker run of exit 7: %v", r)
		}
	})
	t.Run("tty", func(t *testing.T) {
		// -t without -i needs no terminal on the client side; the shim
		// passes --console-socket and onggi-runc sends it the pty master.
		r := d.in(t).run(append(run, "--rm", "-t", "busybox", "tty")...)
		if r.code != 0 || strings.TrimSpace(r.stdout) != "/dev/pts/0" {
			t.Errorf("docker run -t tty: %v", r)
		}
	})
	t.Run("detached", func(t *testing.T) { dockerDetached(t, d.in(t), run) })
}

// dockerRunOutput checks the output of a --rm container: its own process
// tree (pid 1 is the command), its cgroup where dockerd asked, root user.
func dockerRunOutput(t *testing.T, d *dockerd, run []string) {
	r := d.run(append(run, "--rm", "busybox", "sh", "-c", "echo hello from onggi; cat /proc/1/cgroup; id -u")...)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) < 3 || lines[0] != "hello from onggi" || lines[len(lines)-1] != "0" {
		t.Fatalf("docker run: %v", r)
	}
	// Every hierarchy places pid 1 in <parent>/<64-hex id>.
	for _, l := range lines[1 : len(lines)-1] {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 || filepath.Dir(parts[2]) != d.cgroupParent || len(filepath.Base(parts[2])) != 64 {
			t.Errorf("pid 1 cgroup line %q is not under %s/<id>", l, d.cgroupParent)
		}
	}
}

// dockerDetached runs a container in the background, execs into it (with
// and without a tty), stops it with SIGTERM and removes it.
func dockerDetached(t *testing.T, d *dockerd, run []string) {
	// sh traps SIGTERM: exit status 3 proves `docker stop` delivered it
	// through onggi-runc kill rather than killing after its timeout.
	id := strings.TrimSpace(d.ok(append(run, "-d", "busybox", "sh", "-c", `trap "exit 3" TERM; sleep 1000 & wait`)...))
	t.Cleanup(func() { d.run("rm", "--force", id) })
	pid := strings.TrimSpace(d.ok("inspect", "--format", "{{.State.Pid}}", id))
	hostCgroup, err := os.ReadFile(filepath.Join("/proc", pid, "cgroup"))
	if err != nil || !strings.Contains(string(hostCgroup), filepath.Join(d.cgroupParent, id)) {
		t.Errorf("container init %s cgroup (%v): %s", pid, err, hostCgroup)
	}
	if r := d.run("exec", id, "sh", "-c", "echo exec-ok; exit 5"); r.code != 5 || strings.TrimSpace(r.stdout) != "exec-ok" {
		t.Errorf("docker exec: %v", r)
	}
	if r := d.run("exec", "-t", id, "tty"); r.code != 0 || !strings.HasPrefix(r.stdout, "/dev/pts/") {
		t.Errorf("docker exec -t tty: %v", r)
	}
	dockerVerbs(t, d, id)
	if r := d.run("stop", "--time", "30", id); r.code != 0 {
		t.Fatalf("docker stop: %v", r)
	}
	if code := strings.TrimSpace(d.ok("inspect", "--format", "{{.State.ExitCode}}", id)); code != "3" {
		t.Errorf("exit code after docker stop = %s, want 3 (SIGTERM trapped)", code)
	}
	d.ok("rm", id)
	// onggi-runc delete, called by the shim, removes the container's cgroups.
	if dirs := cgroupDirs(filepath.Join(d.cgroupParent, id)); len(dirs) > 0 {
		t.Errorf("cgroups left after docker rm: %v", dirs)
	}
	if out := d.ok("ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Errorf("containers left after docker rm: %q", out)
	}
}

// dockerVerbs checks the runtime verbs dockerd reaches through the shim on
// a running container: ps (docker top), pause/resume and update.
func dockerVerbs(t *testing.T, d *dockerd, id string) {
	if out := d.ok("top", id); !strings.Contains(out, "sleep 1000") {
		t.Errorf("docker top does not list the container's sleep: %q", out)
	}
	d.ok("pause", id)
	if st := strings.TrimSpace(d.ok("inspect", "--format", "{{.State.Status}}", id)); st != "paused" {
		t.Errorf("status after docker pause = %q", st)
	}
	d.ok("unpause", id)
	if r := d.run("exec", id, "true"); r.code != 0 {
		t.Errorf("docker exec after unpause: %v", r)
	}
	d.ok("update", "--memory", "64m", "--memory-swap", "128m", id)
	limits := map[string]string{"memory.limit_in_bytes": "67108864", "memory.max": "67108864"}
	found := 0
	for _, dir := range cgroupDirs(filepath.Join(d.cgroupParent, id)) {
		for file, want := range limits {
			if data, err := os.ReadFile(filepath.Join(dir, file)); err == nil {
				found++
				if got := strings.TrimSpace(string(data)); got != want {
					t.Errorf("%s/%s after docker update = %s, want %s", dir, file, got, want)
				}
			}
		}
	}
	if found == 0 {
		t.Errorf("docker update: no memory limit file in the container's cgroups")
	}
}
