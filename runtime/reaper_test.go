package runtime

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/onggi/onggi/runtime/seccomp"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func withInit(s *specs.Spec) { s.Annotations = map[string]string{InitAnnotation: "true"} }

// startWithStdout creates and starts a container and returns a reader of
// its stdout.
func startWithStdout(t *testing.T, r *Runtime, bundle string) (*Container, *bufio.Reader) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle, Stdio: Stdio{Stdin: strings.NewReader(""), Stdout: pw, Stderr: pw}})
	pw.Close()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	return c, bufio.NewReader(pr)
}

func readLine(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	l, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading output: %q, %v", l, err)
	}
	return strings.TrimSpace(l)
}

// children lists pid's children (over all its threads) with their state
// letter from /proc/<pid>/stat.
func children(pid int) map[int]string {
	out := map[int]string{}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(data)) {
			c, _ := strconv.Atoi(s)
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c))
			if err != nil {
				continue // reaped meanwhile
			}
			// pid (comm) S ...: the state follows the last ')'.
			st := string(stat)
			out[c] = strings.Fields(st[strings.LastIndexByte(st, ')')+1:])[0]
		}
	}
	return out
}

// eventually polls cond: whether the kernel reparented and the reaper
// reaped is visible only in /proc, which offers nothing to wait on.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func initPid(t *testing.T, c *Container) int {
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	return st.Pid
}

// orphanApp leaves an orphan behind (the subshell exits before its
// background child, which waits on a fifo) and then becomes `sleep`.
var orphanApp = []string{"sh", "-c", "mkfifo /tmp/f; (cat /tmp/f >/dev/null &); echo ready; exec sleep 1000"}

func comm(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(data))
}

// releaseOrphan waits for the app to be `sleep` (pid app), then lets the
// orphan exit by writing its fifo.
func releaseOrphan(t *testing.T, bundle string, app func() int) {
	t.Helper()
	eventually(t, "the app to exec sleep", func() bool { return comm(app()) == "sleep" })
	f, err := os.OpenFile(filepath.Join(bundle, "rootfs/tmp/f"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestInitReapsOrphans(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	bundle := testbundle.Bundle(t, withInit, orphanApp...)
	c, out := startWithStdout(t, r, bundle)
	if l := readLine(t, out); l != "ready" {
		t.Fatalf("got %q", l)
	}
	pid := initPid(t, c)
	app := 0
	releaseOrphan(t, bundle, func() int {
		for k := range children(pid) {
			if comm(k) == "sleep" {
				app = k
			}
		}
		return app
	})
	// Left: the app only; the orphan, reparented to us, reaped.
	eventually(t, "the orphan to be reaped", func() bool {
		kids := children(pid)
		return len(kids) == 1 && kids[app] == "S"
	})
	if err := c.Signal(unix.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if code, err := c.Wait(); err != nil || code != 137 {
		t.Fatalf("wait: %d, %v", code, err)
	}
}

// TestNoInitLeavesZombies is the control: without the reaper, the app
// (PID 1) collects the orphan as a zombie, which the test above would see.
func TestNoInitLeavesZombies(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	bundle := testbundle.Bundle(t, nil, orphanApp...)
	c, out := startWithStdout(t, r, bundle)
	readLine(t, out)
	pid := initPid(t, c)
	releaseOrphan(t, bundle, func() int { return pid })
	eventually(t, "a zombie under the app", func() bool {
		for _, st := range children(pid) {
			if st == "Z" {
				return true
			}
		}
		return false
	})
}

func TestInitExitCodes(t *testing.T) {
	for _, tc := range []struct {
		script string
		code   int
	}{
		{`test $$ != 1 && exit 7`, 7}, // the app is not PID 1
		{`kill -9 $$`, 137},           // a signalled app: 128+n
		{`exit 0`, 0},
	} {
		res := run(t, withInit, "sh", "-c", tc.script)
		if res.code != tc.code {
			t.Errorf("%s: exit code %d, want %d (%+v)", tc.script, res.code, tc.code, res)
		}
	}
}

func TestInitForwardsSignals(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	script := `trap 'echo got-term; exit 42' TERM; trap 'echo got-usr1' USR1; echo ready; ` +
		`while :; do sleep 1000 & wait $!; done`
	c, out := startWithStdout(t, r, testbundle.Bundle(t, withInit, "sh", "-c", script))
	readLine(t, out)
	if err := c.Signal(unix.SIGUSR1, false); err != nil {
		t.Fatal(err)
	}
	if l := readLine(t, out); l != "got-usr1" {
		t.Fatalf("after SIGUSR1: %q", l)
	}
	if err := c.Signal(unix.SIGTERM, false); err != nil {
		t.Fatal(err)
	}
	if l := readLine(t, out); l != "got-term" {
		t.Fatalf("after SIGTERM: %q", l)
	}
	if code, err := c.Wait(); err != nil || code != 42 {
		t.Fatalf("wait: %d, %v; want 42", code, err)
	}
}

func TestInitMissingExecutable(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	_, err := r.Create(uniqueID(t), CreateOpts{Bundle: testbundle.Bundle(t, withInit, "no-such-binary")})
	if err == nil || !strings.Contains(err.Error(), "no-such-binary") {
		t.Fatalf("err %v", err)
	}
}

// TestInitTerminal: on a terminal the app gets its own process group in
// the foreground (so ^C reaches it), as tini does.
func TestInitTerminal(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	sock := filepath.Join(t.TempDir(), "console.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	script := `read -r pid comm st ppid pgrp sid tty tpgid rest </proc/self/stat; ` +
		`test "$pgrp" = "$tpgid" && test "$pgrp" = "$$" && test "$$" != 1 && echo foreground`
	bundle := testbundle.Bundle(t, func(s *specs.Spec) { withInit(s); s.Process.Terminal = true }, "sh", "-c", script)
	got := make(chan *os.File, 1)
	go func() { got <- receiveMaster(t, ln) }()
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle, ConsoleSocket: sock})
	if err != nil {
		t.Fatal(err)
	}
	master := <-got
	defer master.Close()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&out, master); close(done) }()
	if code, err := c.Wait(); err != nil || code != 0 {
		t.Fatalf("wait: %d %v (output %q)", code, err, out.String())
	}
	<-done
	if out.String() != "foreground\r\n" {
		t.Fatalf("output %q", out.String())
	}
}

// TestInitConfined: with a non-root user, no_new_privs and the default
// seccomp profile and no capabilities, the reaper starts the app (threads
// under the filter work) and every thread of the reaper runs as the user,
// filtered, without capabilities.
func TestInitConfined(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	bundle := testbundle.Bundle(t, func(s *specs.Spec) {
		withInit(s)
		s.Process.User = specs.User{UID: 65534, GID: 65534}
		s.Process.Capabilities = &specs.LinuxCapabilities{}
		s.Process.NoNewPrivileges = true
		p, err := seccomp.DefaultProfile(s)
		if err != nil {
			t.Fatal(err)
		}
		s.Linux.Seccomp = p
	}, "sh", "-c", "id -u; echo ready; exec sleep 1000")
	c, out := startWithStdout(t, r, bundle)
	if l := readLine(t, out); l != "65534" {
		t.Fatalf("uid %q", l)
	}
	readLine(t, out)
	pid := initPid(t, c)
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, f := range tasks {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			k, v, _ := strings.Cut(l, ":")
			v = strings.TrimSpace(v)
			switch k {
			case "Uid":
				if strings.Fields(v)[0] != "65534" || strings.Fields(v)[1] != "65534" {
					t.Errorf("%s: Uid %s", f, v)
				}
			case "CapEff", "CapPrm":
				if strings.Trim(v, "0") != "" {
					t.Errorf("%s: %s %s", f, k, v)
				}
			case "Seccomp":
				if v != "2" {
					t.Errorf("%s: Seccomp %s", f, v)
				}
			case "NoNewPrivs":
				if v != "1" {
					t.Errorf("%s: NoNewPrivs %s", f, v)
				}
			}
		}
	}
	if len(tasks) == 0 {
		t.Fatal("no threads of the init found")
	}
}
