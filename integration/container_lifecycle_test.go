package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRestartOnFailure: a container that exits 1 under on-failure:3 runs
// four times, then stays exited with RestartCount 3.
func TestRestartOnFailure(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	dir := t.TempDir()
	id := c.runD("--restart", "on-failure:3", "-v", dir+":/data", "busybox", "sh", "-c", "echo run >> /data/runs; exit 1")
	if code := strings.TrimSpace(c.ok("wait", id)); code != "1" {
		t.Logf("first wait: %q", code)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st := c.inspectField(id, "{{.State.Status}} {{.RestartCount}}")
		if st == "exited 3" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := c.inspectField(id, "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}"); st != "exited 3 1" {
		t.Fatalf("after on-failure:3: %q, want exited 3 1", st)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "runs"))
	if n := strings.Count(string(b), "run"); n != 4 {
		t.Errorf("container ran %d times, want 4", n)
	}
}

// TestRestartAlwaysAndStop: always restarts a container that exits 0; stop
// ends it for good and is not undone by the policy.
func TestRestartAlwaysAndStop(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	id := c.runD("--restart", "always", "busybox", "sh", "-c", "sleep 0.2")
	deadline := time.Now().Add(20 * time.Second)
	for c.inspectField(id, "{{.RestartCount}}") == "0" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if c.inspectField(id, "{{.RestartCount}}") == "0" {
		t.Fatal("restart=always did not restart")
	}
	c.ok("stop", id)
	n := c.inspectField(id, "{{.RestartCount}}")
	time.Sleep(time.Second)
	if st := c.inspectField(id, "{{.State.Status}} {{.RestartCount}}"); st != "exited "+n {
		t.Errorf("after stop: %q, want exited %s", st, n)
	}
}

// TestStopKillWait: stop sends SIGTERM, then SIGKILL after -t; kill -s
// sends the signal; wait prints the code.
func TestStopKillWait(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	id := c.runD("busybox", "sh", "-c", `trap "" TERM; sleep 100 & wait; sleep 100`)
	start := time.Now()
	c.ok("stop", "-t", "1", id)
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("stop -t 1 took %v", d)
	}
	if got := c.inspectField(id, "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 137" {
		t.Errorf("after stop of a TERM-ignoring process: %q", got)
	}
	// A PID 1 without a handler ignores signals other than SIGKILL (the
	// kernel's rule for namespace inits), so the app runs under --init.
	id = c.runD("--init", "busybox", "sleep", "100")
	c.ok("kill", "-s", "USR1", id)
	if code := strings.TrimSpace(c.ok("wait", id)); code != "138" {
		t.Errorf("wait after kill -s USR1: %q, want 138", code)
	}
	if r := c.run("kill", id); r.code == 0 {
		t.Errorf("kill of a stopped container succeeded")
	}
	id = c.runD("--init", "--stop-signal", "USR2", "busybox", "sleep", "100")
	c.ok("stop", id)
	if code := c.inspectField(id, "{{.State.ExitCode}}"); code != "140" {
		t.Errorf("--stop-signal USR2: exit %s, want 140", code)
	}
}

// TestCreateStartRestartRm: the created → running → exited → removed life.
func TestCreateStartRestartRm(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	id := strings.TrimSpace(c.ok("create", "--name", "web", "--label", "tier=front", "busybox", "sleep", "100"))
	if st := c.inspectField("web", "{{.State.Status}}"); st != "created" {
		t.Errorf("after create: %q", st)
	}
	if r := c.run("create", "--name", "web", "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "already in use") {
		t.Errorf("duplicate name: %v", r)
	}
	c.ok("start", "web")
	pid := c.inspectField(id, "{{.State.Pid}}")
	c.ok("restart", "-t", "1", "web")
	if st := c.inspectField(id, "{{.State.Status}}"); st != "running" {
		t.Errorf("after restart: %q", st)
	}
	if c.inspectField(id, "{{.State.Pid}}") == pid {
		t.Errorf("restart kept pid %s", pid)
	}
	if r := c.run("rm", "web"); r.code == 0 || !strings.Contains(r.stderr, "stop the container before removing") {
		t.Errorf("rm of a running container: %v", r)
	}
	c.ok("rename", "web", "web2")
	c.ok("rm", "-f", "web2")
	if r := c.run("inspect", "web2"); r.code == 0 {
		t.Errorf("container still there after rm -f")
	}
}

// TestPs: -a, -q, -n, --no-trunc, --filter, --format.
func TestPs(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	run := c.runD("--name", "up", "--label", "app=x", "busybox", "sleep", "100")
	if r := c.run("run", "--name", "done", "busybox", "sh", "-c", "exit 2"); r.code != 2 {
		t.Fatalf("run: %v", r)
	}
	if out := c.ok("ps", "-q"); strings.TrimSpace(out) != run[:12] {
		t.Errorf("ps -q: %q, want %s", out, run[:12])
	}
	if out := c.ok("ps", "-aq", "--no-trunc"); len(strings.Fields(out)) != 2 || !strings.Contains(out, run) {
		t.Errorf("ps -aq --no-trunc: %q", out)
	}
	if out := c.ok("ps", "-a", "-n", "1", "--format", "{{.Names}}"); strings.TrimSpace(out) != "done" {
		t.Errorf("ps -n 1: %q", out)
	}
	for filter, want := range map[string]string{
		"name=up": "up", "status=exited": "done", "exited=2": "done", "label=app=x": "up", "ancestor=busybox": "done up",
	} {
		out := c.ok("ps", "-a", "--filter", filter, "--format", "{{.Names}}")
		got := strings.Fields(out)
		if strings.Join(sortStrings(got), " ") != want {
			t.Errorf("ps --filter %s: %q, want %q", filter, got, want)
		}
	}
	out := c.ok("ps", "-a", "--format", "{{.Names}}\t{{.Status}}\t{{.Command}}")
	if !strings.Contains(out, "done\tExited (2)") || !strings.Contains(out, "up\tUp ") || !strings.Contains(out, `"sleep 100"`) {
		t.Errorf("ps --format: %q", out)
	}
	table := c.ok("ps")
	if !strings.HasPrefix(table, "CONTAINER ID   IMAGE") || !strings.Contains(table, "NAMES") {
		t.Errorf("ps table header: %q", table)
	}
}

func sortStrings(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestLogs: logs after exit, --tail, -t, --since/--until, -f ends with the
// container, and rotation keeps max-file files of max-size.
func TestLogs(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	// stdout and stderr are separate pipes: the pause keeps "three" the
	// last record (without it "two" may be read after it).
	c.ok("run", "--name", "lg", "busybox", "sh", "-c", "echo one; echo two >&2; sleep 0.2; echo three")
	r := c.run("logs", "lg")
	if r.stdout != "one\nthree\n" || r.stderr != "two\n" {
		t.Errorf("logs: %v", r)
	}
	if out := c.ok("logs", "--tail", "1", "lg"); out != "three\n" {
		t.Errorf("logs --tail 1: %q", out)
	}
	if out := c.ok("logs", "-t", "lg"); !strings.Contains(out, "Z one") {
		t.Errorf("logs -t: %q", out)
	}
	if out := c.ok("logs", "--until", "2000-01-01T00:00:00Z", "lg"); out != "" {
		t.Errorf("logs --until 2000: %q", out)
	}
	if out := c.ok("logs", "--since", "1h", "lg"); out != "one\nthree\n" {
		t.Errorf("logs --since 1h: %q", out)
	}
	id := c.runD("busybox", "sh", "-c", "echo a; sleep 1; echo b")
	if out := c.ok("logs", "-f", id); out != "a\nb\n" {
		t.Errorf("logs -f: %q", out)
	}
	c.ok("run", "--name", "rot", "--log-opt", "max-size=1k", "--log-opt", "max-file=2", "busybox",
		"sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line$i; i=$((i+1)); done")
	logPath := c.inspectField("rot", "{{.LogPath}}")
	files, _ := filepath.Glob(logPath + "*")
	if len(files) != 2 {
		t.Errorf("rotated log files: %v, want 2", files)
	}
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.Size() > 1024+200 {
			t.Errorf("%s is %d bytes, max-size 1k", f, st.Size())
		}
	}
	if out := c.ok("logs", "--tail", "1", "rot"); out != "line199\n" {
		t.Errorf("tail of a rotated log: %q", out)
	}
}

// TestExec: exit codes, -e, -u, -w, -d, -i.
func TestExec(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	id := c.runD("-e", "BASE=1", "busybox", "sleep", "100")
	if out := c.ok("exec", "-e", "X=2", "-w", "/tmp", id, "sh", "-c", `echo "$BASE $X $(pwd)"`); out != "1 2 /tmp\n" {
		t.Errorf("exec env/workdir: %q", out)
	}
	if out := c.ok("exec", "-u", "nobody", id, "id", "-un"); out != "nobody\n" {
		t.Errorf("exec -u: %q", out)
	}
	if r := c.run("exec", id, "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exec exit: %v", r)
	}
	if r := c.run("exec", id, "nosuchcmd"); r.code != 127 {
		t.Errorf("exec of a missing command: %v", r)
	}
	if r := c.run("exec", id, "/etc/passwd"); r.code != 126 {
		t.Errorf("exec of a non-executable: %v", r)
	}
	if r := c.runIn(strings.NewReader("hi\n"), "exec", "-i", id, "cat"); r.stdout != "hi\n" {
		t.Errorf("exec -i: %v", r)
	}
	c.ok("exec", "-d", id, "sh", "-c", "sleep 0.2; touch /tmp/detached")
	deadline := time.Now().Add(10 * time.Second)
	for c.run("exec", id, "test", "-e", "/tmp/detached").code != 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if c.run("exec", id, "test", "-e", "/tmp/detached").code != 0 {
		t.Errorf("exec -d did not run")
	}
	c.ok("stop", "-t", "0", id)
	if r := c.run("exec", id, "true"); r.code == 0 {
		t.Errorf("exec in a stopped container succeeded")
	}
}

// TestPauseUpdateTopStats: pause/unpause, update --memory, top, stats.
func TestPauseUpdateTopStats(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	id := c.runD("--memory", "64m", "busybox", "sleep", "100")
	c.ok("pause", id)
	if st := c.inspectField(id, "{{.State.Status}}"); st != "paused" {
		t.Errorf("after pause: %q", st)
	}
	c.ok("unpause", id)
	if st := c.inspectField(id, "{{.State.Status}}"); st != "running" {
		t.Errorf("after unpause: %q", st)
	}
	c.ok("update", "--memory", "96m", "--memory-swap", "96m", id)
	if m := c.inspectField(id, "{{.HostConfig.Memory}}"); m != "100663296" {
		t.Errorf("memory after update: %s", m)
	}
	if out := c.ok("top", id); !strings.Contains(out, "PID") || !strings.Contains(out, "sleep 100") {
		t.Errorf("top: %q", out)
	}
	out := c.ok("stats", "--no-stream", id)
	if !strings.Contains(out, "MEM USAGE / LIMIT") || !strings.Contains(out, "96MiB") {
		t.Errorf("stats --no-stream: %q", out)
	}
}

// TestHealth: --health-cmd transitions starting → healthy, and a failing
// check → unhealthy after the retries.
func TestHealth(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	good := c.runD("--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "100")
	bad := c.runD("--health-cmd", "exit 1", "--health-interval", "200ms", "--health-retries", "2", "busybox", "sleep", "100")
	waitFor := func(id, want string) {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if c.inspectField(id, "{{.State.Health.Status}}") == want {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("%s: health %q, want %q", id[:12], c.inspectField(id, "{{.State.Health.Status}}"), want)
	}
	waitFor(good, "healthy")
	waitFor(bad, "unhealthy")
	if out := c.ok("ps", "--format", "{{.Status}}", "--filter", "health=unhealthy"); !strings.Contains(out, "(unhealthy)") {
		t.Errorf("ps status of an unhealthy container: %q", out)
	}
	if n := c.inspectField(bad, "{{len .State.Health.Log}}"); n == "0" {
		t.Errorf("no health log")
	}
	none := c.runD("--no-healthcheck", "busybox", "sleep", "100")
	if out := c.run("inspect", "--format", "{{.State.Health}}", none).stdout; !strings.Contains(out, "nil") && strings.TrimSpace(out) != "" {
		t.Errorf("--no-healthcheck health: %q", out)
	}
}
