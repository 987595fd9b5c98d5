package runtime

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func wantStatus(t *testing.T, c *Container, want specs.ContainerState) *specs.State {
	t.Helper()
	st, err := c.State()
	if err != nil {
		t.Fatalf("state: %v", err)
	}
	if st.Status != want {
		t.Fatalf("status %q, want %q", st.Status, want)
	}
	return st
}

func TestLifecycle(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	bundle := testbundle.Bundle(t, nil, "sleep", "1000")
	id := uniqueID(t)
	pidFile := t.TempDir() + "/pid"
	c, err := r.Create(id, CreateOpts{Bundle: bundle, PidFile: pidFile})
	if err != nil {
		t.Fatal(err)
	}
	st := wantStatus(t, c, specs.StateCreated)
	if data, _ := os.ReadFile(pidFile); string(data) != strconv.Itoa(st.Pid) || st.Pid <= 0 {
		t.Fatalf("pid file %q, state pid %d", data, st.Pid)
	}
	if st.Bundle != bundle {
		t.Fatalf("bundle %q, want %q", st.Bundle, bundle)
	}
	// Another process (here: another Runtime on the same root) starts it.
	r2, _ := New(r.root)
	c2, err := r2.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	wantStatus(t, c2, specs.StateRunning)
	if err := c2.Start(); !errors.Is(err, ErrConflict) {
		t.Fatalf("second start: %v, want ErrConflict", err)
	}
	if err := c2.Delete(false); !errors.Is(err, ErrConflict) {
		t.Fatalf("delete of running: %v, want ErrConflict", err)
	}
	if err := c2.Signal(syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if code, err := c.Wait(); err != nil || code != 128+int(syscall.SIGKILL) {
		t.Fatalf("wait: %d %v", code, err)
	}
	wantStatus(t, c2, specs.StateStopped)
	if err := c2.Signal(syscall.SIGTERM, false); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("signal stopped: %v", err)
	}
	if err := c2.Delete(false); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Load(id); !errors.Is(err, ErrNotExist) {
		t.Fatalf("load after delete: %v", err)
	}
	if _, err := r.Create(id, CreateOpts{Bundle: bundle}); err != nil {
		t.Fatalf("re-create after delete: %v", err)
	}
	if _, err := r.Create(id, CreateOpts{Bundle: bundle}); !errors.Is(err, ErrExist) {
		t.Fatalf("duplicate create: %v", err)
	}
}

func TestForceDeleteCreatedAndPause(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	bundle := testbundle.Bundle(t, nil, "sleep", "1000")
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Pause(); !errors.Is(err, ErrConflict) {
		t.Fatalf("pause of created: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Pause(); err != nil {
		t.Fatalf("pause: %v", err)
	}
	wantStatus(t, c, "paused")
	if err := c.Resume(); err != nil {
		t.Fatalf("resume: %v", err)
	}
	wantStatus(t, c, specs.StateRunning)
	pids, err := c.Processes()
	if err != nil || len(pids) != 1 {
		t.Fatalf("processes %v %v", pids, err)
	}
	if err := c.Delete(true); err != nil {
		t.Fatalf("force delete: %v", err)
	}
	assertNoLeftovers(t, r, c.ID(), bundle)
}

// execOut runs p in c and returns its output and exit code.
func execOut(t *testing.T, c *Container, p *specs.Process) (string, int) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	proc, err := c.Exec(p, ExecOpts{Stdio: Stdio{Stdout: pw, Stderr: pw}})
	pw.Close()
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	out, _ := io.ReadAll(pr)
	ps, err := proc.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return string(out), ps.ExitCode()
}

func TestExec(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: testbundle.Bundle(t, func(s *specs.Spec) {
		s.Hostname = "exechost"
	}, "sleep", "1000")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	p := testbundle.Spec().Process
	p.Args = []string{"sh", "-c", "hostname; cat /proc/1/cmdline; echo; id -u; pwd"}
	p.User = specs.User{UID: 65534, GID: 65534}
	p.Cwd = "/tmp"
	out, code := execOut(t, c, p)
	want := "exechost\nsleep\x001000\x00\n65534\n/tmp\n"
	if code != 0 || out != want {
		t.Fatalf("exec output %q code %d, want %q", out, code, want)
	}
	pids, err := c.Processes()
	if err != nil || len(pids) != 1 {
		t.Fatalf("after exec: processes %v %v", pids, err)
	}
	p.Args = []string{"no-such-binary"}
	if _, err := c.Exec(p, ExecOpts{}); !errors.Is(err, ErrNoExecutable) {
		t.Fatalf("exec of missing binary: %v", err)
	}
	if !strings.Contains(out, "exechost") {
		t.Fatal("unreachable")
	}
}

// TestTermKillsCreated: a created container dies of SIGTERM although its
// init is pid 1 of a pid namespace.
func TestTermKillsCreated(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: testbundle.Bundle(t, nil, "sleep", "1000")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Signal(syscall.SIGTERM, false); err != nil {
		t.Fatal(err)
	}
	if code, err := c.Wait(); err != nil || code != 128+int(syscall.SIGTERM) {
		t.Fatalf("wait: %d %v", code, err)
	}
	wantStatus(t, c, specs.StateStopped)
}

// TestSignalAll kills every process of the container through its cgroup,
// including one exec'd outside the init's process tree.
func TestSignalAll(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: testbundle.Bundle(t, nil, "sleep", "1000")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	p := testbundle.Spec().Process
	p.Args = []string{"sleep", "1000"}
	proc, err := c.Exec(p, ExecOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if pids, _ := c.Processes(); len(pids) != 2 {
		t.Fatalf("processes %v", pids)
	}
	if err := c.Signal(syscall.SIGKILL, true); err != nil {
		t.Fatal(err)
	}
	if ps, _ := proc.Wait(); ps.ExitCode() != -1 {
		t.Fatalf("exec'd process: %v", ps)
	}
	if code, _ := c.Wait(); code != 137 {
		t.Fatalf("init exit %d", code)
	}
}

// TestNoPivot runs with MS_MOVE+chroot instead of pivot_root; exec must
// then land in the container's root too (nsenter chroots into it).
func TestNoPivot(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	bundle := testbundle.Bundle(t, nil, "sleep", "1000")
	if err := os.WriteFile(bundle+"/rootfs/marker", []byte("inside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle, NoPivot: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	p := testbundle.Spec().Process
	p.Args = []string{"cat", "/marker"}
	if out, code := execOut(t, c, p); out != "inside\n" || code != 0 {
		t.Fatalf("exec with no pivot: %q %d", out, code)
	}
}

// TestStaleStateDirectory: a Create killed before writing its state leaves
// a directory that must not block the id forever.
func TestStaleStateDirectory(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	id := uniqueID(t)
	if err := os.MkdirAll(r.dir(id), 0o711); err != nil {
		t.Fatal(err)
	}
	c, err := r.Create(id, CreateOpts{Bundle: testbundle.Bundle(t, nil, "true")})
	if err != nil {
		t.Fatalf("create over a stale directory: %v", err)
	}
	wantStatus(t, c, specs.StateCreated)
}
