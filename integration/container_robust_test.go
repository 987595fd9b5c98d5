package integration

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestParallelRunRm: 20 parallel run -d, then 20 parallel rm -f, on one
// root: every command succeeds and nothing is left behind.
func TestParallelRunRm(t *testing.T) {
	c := newContainerCLI(t)
	const n = 20
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan string, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := runCmd(t, c.command("run", "-d", "--name", fmt.Sprintf("p%d", i), "busybox", "sleep", "100"))
			if r.code != 0 {
				errs <- r.String()
			}
			ids[i] = strings.TrimSpace(r.stdout)
		}(i)
	}
	wg.Wait()
	if n := len(strings.Fields(c.ok("ps", "-q"))); n != 20 {
		t.Errorf("%d containers running, want 20", n)
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if r := runCmd(t, c.command("rm", "-f", fmt.Sprintf("p%d", i))); r.code != 0 {
				errs <- r.String()
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if out := c.ok("ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Errorf("left after rm -f: %q", out)
	}
	if m := mountsUnder(c.runroot); len(m) != 0 {
		t.Errorf("mounts left: %v", m)
	}
	checkNoCgroups(t, ids...)
}

// checkNoCgroups fails t for a cgroup directory of any of ids left in any
// hierarchy (v1 controllers, hybrid's unified, pure v2).
func checkNoCgroups(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if id == "" {
			continue
		}
		left, _ := filepath.Glob("/sys/fs/cgroup/*/onggi/" + id)
		more, _ := filepath.Glob("/sys/fs/cgroup/onggi/" + id)
		for _, cg := range append(left, more...) {
			t.Errorf("cgroup left: %s", cg)
		}
	}
}

// TestMonitorKilled: a kill -9'ed monitor never leaves a container that ps
// calls running once its process is gone, and rm -f still removes it.
func TestMonitorKilled(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	id := c.runD("busybox", "sleep", "100")
	pid := c.inspectField(id, "{{.State.Pid}}")
	for _, m := range monitorPids(c.runroot) {
		syscall.Kill(m, syscall.SIGKILL)
		waitGone(m)
	}
	if st := c.inspectField(id, "{{.State.Status}}"); st != "running" {
		t.Errorf("container whose process still runs: %q", st)
	}
	var p int
	fmt.Sscan(pid, &p)
	syscall.Kill(p, syscall.SIGKILL)
	waitGone(p)
	if st := c.inspectField(id, "{{.State.Status}}"); st != "exited" {
		t.Errorf("container whose process is gone and monitor dead: %q, want exited", st)
	}
	if out := c.ok("ps", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("ps lists a dead container: %q", out)
	}
	id2 := c.runD("busybox", "sleep", "100")
	for _, m := range monitorPids(c.runroot) {
		syscall.Kill(m, syscall.SIGKILL)
		waitGone(m)
	}
	c.ok("rm", "-f", id, id2)
	if m := mountsUnder(c.runroot); len(m) != 0 {
		t.Errorf("mounts left: %v", m)
	}
}

// TestBootAfterReboot: with the runroot gone (a reboot), records are
// rebuilt and `system boot` starts restart=always containers only.
func TestBootAfterReboot(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	always := c.runD("--restart", "always", "busybox", "sleep", "100")
	plain := c.runD("busybox", "sleep", "100")
	// Simulate the reboot: every process and mount of this engine goes.
	for _, m := range monitorPids(c.runroot) {
		syscall.Kill(m, syscall.SIGKILL)
		waitGone(m)
	}
	for _, id := range []string{always, plain} {
		var p int
		fmt.Sscan(c.inspectField(id, "{{.State.Pid}}"), &p)
		syscall.Kill(p, syscall.SIGKILL)
		waitGone(p)
	}
	unmountUnder(t, c.runroot)
	os.RemoveAll(c.runroot)
	os.MkdirAll(c.runroot, 0o755)
	out := c.ok("system", "boot")
	if !strings.Contains(out, always[:12]) || strings.Contains(out, plain[:12]) {
		t.Errorf("system boot started: %q", out)
	}
	if st := c.inspectField(always, "{{.State.Status}}"); st != "running" {
		t.Errorf("restart=always after boot: %q", st)
	}
	if st := c.inspectField(plain, "{{.State.Status}}"); st != "exited" {
		t.Errorf("plain container after boot: %q", st)
	}
	// The wiped runroot took the runtime's state: the cgroups must still go.
	c.ok("rm", "-f", always, plain)
	checkNoCgroups(t, always, plain)
}

// TestInit: --init puts a reaper in front of the app as PID 1, which reaps
// orphans and passes the exit code on.
func TestInit(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	out := c.ok("run", "--rm", "--init", "busybox", "sh", "-c", "echo $$; cat /proc/1/cmdline | tr '\\0' ' '")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] == "1" {
		t.Errorf("--init: app is PID 1 (%q)", out)
	}
	// sh double-forks an orphan that exits at once: PID 1 must reap it.
	out = c.ok("run", "--rm", "--init", "busybox", "sh", "-c",
		"(sleep 0.1 &) ; sleep 0.5; grep -l zombie /proc/*/status 2>/dev/null | wc -l; ps -o stat | grep -c Z || true")
	if f := strings.Fields(out); len(f) < 2 || f[len(f)-1] != "0" {
		t.Errorf("zombies under --init: %q", out)
	}
	if r := c.run("run", "--rm", "--init", "busybox", "sh", "-c", "exit 4"); r.code != 4 {
		t.Errorf("--init exit code: %v", r)
	}
}

// TestOtherRuntime: --runtime runc drives the external binary.
func TestOtherRuntime(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("runc not installed")
	}
	c := newContainerCLI(t)
	if out := c.ok("run", "--rm", "--runtime", "runc", "busybox", "echo", "via runc"); out != "via runc\n" {
		t.Errorf("--runtime runc: %q", out)
	}
	id := c.runD("--runtime", "runc", "busybox", "sleep", "100")
	if out := c.ok("exec", id, "echo", "x"); out != "x\n" {
		t.Errorf("exec under runc: %q", out)
	}
	c.ok("stop", "-t", "1", id)
	if st := c.inspectField(id, "{{.State.Status}}"); st != "exited" {
		t.Errorf("after stop: %q", st)
	}
}

// TestTTY: run -it through a pty: a shell session, its exit code, window
// resize, and detaching with ctrl-p ctrl-q then attach.
func TestTTY(t *testing.T) {
	t.Parallel()
	c := newContainerCLI(t)
	cmd := c.command("run", "-it", "--name", "tty", "busybox", "sh")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	r := bufio.NewReader(ptmx)
	expect := func(want string) {
		t.Helper()
		done := make(chan string, 1)
		go func() {
			var got strings.Builder
			for !strings.Contains(got.String(), want) {
				b, err := r.ReadByte()
				if err != nil {
					break
				}
				got.WriteByte(b)
			}
			done <- got.String()
		}()
		select {
		case got := <-done:
			if !strings.Contains(got, want) {
				t.Fatalf("tty output %q lacks %q", got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("timed out waiting for %q", want)
		}
	}
	io.WriteString(ptmx, "stty size\r")
	expect("30 100")
	pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120})
	time.Sleep(200 * time.Millisecond)
	io.WriteString(ptmx, "stty size\r")
	expect("40 120")
	io.WriteString(ptmx, "\x10\x11") // ctrl-p ctrl-q detaches
	if err := cmd.Wait(); err != nil {
		t.Errorf("detach: %v", err)
	}
	if st := c.inspectField("tty", "{{.State.Status}}"); st != "running" {
		t.Errorf("after detach: %q", st)
	}
	cmd = c.command("attach", "tty")
	ptmx2, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx2.Close()
	r = bufio.NewReader(ptmx2)
	io.WriteString(ptmx2, "echo again\r")
	expect("again")
	io.WriteString(ptmx2, "exit 5\r")
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 {
		t.Errorf("attach exit: %v, want 5", err)
	}
}
