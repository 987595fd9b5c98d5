package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/internal/testbundle"
	"github.com/onggi/onggi/reexec"
	"github.com/onggi/onggi/runtime"
	"github.com/onggi/onggi/runtime/driver"
)

// TestMain lets the test binary act as the monitor and the container init,
// which the engine re-executes from /proc/self/exe.
func TestMain(m *testing.M) {
	runtime.RegisterHelpers(reexec.Register)
	RegisterHelpers(reexec.Register)
	if reexec.Init() {
		return
	}
	os.Exit(m.Run())
}

// newTestEngine opens an engine on temporary roots with busybox:latest
// bootstrapped. Cleanup removes every container (and its anonymous
// volumes), unmounts what is left and kills this runroot's monitor.
func newTestEngine(t *testing.T) *Engine {
	t.Helper()
	testbundle.RequireRoot(t)
	root, runroot := t.TempDir(), t.TempDir()
	e, err := New(root, runroot, WithLog(testLog{t}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanupEngine(t, e) })
	if _, err := e.Bootstrap(context.Background(), "busybox", BootstrapOptions{}); err != nil {
		t.Fatalf("bootstrap busybox: %v", err)
	}
	return e
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(string(bytes.TrimSpace(b)))
	return len(b), nil
}

func cleanupEngine(t *testing.T, e *Engine) {
	ctx := context.Background()
	if t.Failed() {
		b, _ := os.ReadFile(filepath.Join(e.runroot, "monitor", "monitor.log"))
		t.Logf("monitor log:\n%s", b)
	}
	if list, err := e.containers.List(); err == nil {
		for _, c := range list {
			if err := e.RemoveContainer(ctx, c.ID, RemoveOptions{Force: true, Volumes: true}); err != nil {
				t.Logf("cleanup: rm -f %s: %v", shortID(c.ID), err)
			}
		}
	}
	if dirs, err := filepath.Glob(filepath.Join(e.runroot, "containers", "*", "bundle", "rootfs")); err == nil {
		for _, d := range dirs {
			_ = driver.UnmountRootfs(d)
		}
	}
	for _, pid := range monitorPids(e.runroot) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	cleanupNetworks(t, e)
	_ = e.Close()
}

// monitorPids finds the monitors serving exactly this runroot.
func monitorPids(runroot string) []int {
	var pids []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0})
		if len(args) >= 5 && string(args[0]) == monitorName && string(args[4]) == runroot {
			pids = append(pids, pid)
		}
	}
	return pids
}

func create(t *testing.T, e *Engine, cfg *ctypes.Config, hc *ctypes.HostConfig) *container.Container {
	t.Helper()
	c, _, err := e.CreateContainer(context.Background(), CreateOptions{Image: "busybox", Config: cfg, HostConfig: hc})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return c
}

func run(t *testing.T, e *Engine, cfg *ctypes.Config, hc *ctypes.HostConfig) *container.Container {
	t.Helper()
	c := create(t, e, cfg, hc)
	if _, err := e.StartContainer(context.Background(), c.ID, nil); err != nil {
		t.Fatalf("start: %v", err)
	}
	return c
}

func cmd(args ...string) *ctypes.Config { return &ctypes.Config{Cmd: args} }

func TestCreateStartWait(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	c := run(t, e, cmd("sh", "-c", "exit 3"), nil)
	code, err := e.WaitContainer(ctx, c.ID)
	if err != nil || code != 3 {
		t.Fatalf("wait: %d %v", code, err)
	}
	got, err := e.GetContainer(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State.Status != ctypes.StateExited || got.State.ExitCode != 3 || got.HostConfig.NetworkMode != "bridge" {
		t.Fatalf("state %+v network %q", got.State, got.HostConfig.NetworkMode)
	}
	if _, _, err := e.CreateContainer(ctx, CreateOptions{Image: "nosuchimage", Config: cmd("true")}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("create from a missing image: %v", err)
	}
	bad := &ctypes.HostConfig{AutoRemove: true, RestartPolicy: ctypes.RestartPolicy{Name: "always"}}
	if _, _, err := e.CreateContainer(ctx, CreateOptions{Image: "busybox", Config: cmd("true"), HostConfig: bad}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("--rm with --restart: %v", err)
	}
}

// waitState polls the record until cond holds (the restart back-off has
// no event a test can block on from outside the monitor).
func waitState(t *testing.T, e *Engine, id string, cond func(*container.Container) bool) *container.Container {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := e.GetContainer(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out; state %+v restarts %d", c.State, c.RestartCount)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRestartOnFailure(t *testing.T) {
	e := newTestEngine(t)
	data := t.TempDir()
	hc := &ctypes.HostConfig{
		Binds:         []string{data + ":/data"},
		RestartPolicy: ctypes.RestartPolicy{Name: ctypes.RestartPolicyOnFailure, MaximumRetryCount: 3},
	}
	c := run(t, e, cmd("sh", "-c", "echo run >> /data/runs; exit 1"), hc)
	got := waitState(t, e, c.ID, func(c *container.Container) bool {
		return c.State.Status == ctypes.StateExited && c.RestartCount == 3
	})
	if got.State.ExitCode != 1 {
		t.Errorf("exit code %d", got.State.ExitCode)
	}
	b, err := os.ReadFile(filepath.Join(data, "runs"))
	if err != nil || bytes.Count(b, []byte("run\n")) != 4 {
		t.Fatalf("runs %q %v, want 4", b, err)
	}
}

func TestStopTimeoutKills(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	c := run(t, e, cmd("sh", "-c", "trap '' TERM; while :; do sleep 1; done"), nil)
	timeout := 300 * time.Millisecond
	if err := e.StopContainer(ctx, c.ID, &timeout, ""); err != nil {
		t.Fatal(err)
	}
	got, err := e.GetContainer(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Running() || got.State.ExitCode != 137 || !got.ManuallyStopped {
		t.Fatalf("after stop: %+v manual %v", got.State, got.ManuallyStopped)
	}
	if err := e.StopContainer(ctx, c.ID, &timeout, ""); err != nil {
		t.Errorf("stopping a stopped container: %v", err)
	}
}

func TestRemoveForce(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	c := run(t, e, cmd("sleep", "1000"), nil)
	if err := e.RemoveContainer(ctx, c.ID, RemoveOptions{}); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("rm of a running container: %v", err)
	}
	if err := e.RemoveContainer(ctx, c.ID, RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.GetContainer(ctx, c.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("after rm -f: %v", err)
	}
	if _, err := os.Stat(e.runDir(c.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("runtime dir left: %v", err)
	}
}

func TestReconcileAfterMonitorKilled(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	c := run(t, e, cmd("sleep", "1000"), nil)
	c, err := e.GetContainer(ctx, c.ID)
	if err != nil || !c.State.Running || c.MonitorPid == 0 {
		t.Fatalf("running record: %+v %v", c, err)
	}
	if err := syscall.Kill(c.MonitorPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Unsupervised but alive: still running.
	waitGone(t, c.MonitorPid, c.MonitorStart)
	if got, err := e.GetContainer(ctx, c.ID); err != nil || !got.State.Running {
		t.Fatalf("unsupervised container: %+v %v", got, err)
	}
	if err := syscall.Kill(c.State.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c.State.Pid, 0)
	got, err := e.GetContainer(ctx, c.ID)
	if err != nil || got.Running() || got.State.ExitCode != 255 || got.State.Error != errLost {
		t.Fatalf("after the monitor died: %+v %v", got, err)
	}
	if err := e.RemoveContainer(ctx, c.ID, RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
}

// waitGone waits until pid (with start time st, if non-zero) has exited and
// been reaped; it is not our child, so there is nothing to wait(2) on.
func waitGone(t *testing.T, pid int, st uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		cur, err := procStartTime(pid)
		if err != nil || (st != 0 && cur != st) || procExited(pid) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still alive", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestVolumesAndRemove(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	hc := &ctypes.HostConfig{Binds: []string{"keep:/named", "/anon"}}
	c := run(t, e, cmd("sh", "-c", "echo n > /named/f && echo a > /anon/f"), hc)
	if code, err := e.WaitContainer(ctx, c.ID); err != nil || code != 0 {
		t.Fatalf("wait: %d %v", code, err)
	}
	if len(c.AnonymousVolumes) != 1 || len(c.Mounts) != 2 {
		t.Fatalf("mounts %+v anonymous %v", c.Mounts, c.AnonymousVolumes)
	}
	anon := c.AnonymousVolumes[0]
	if err := e.RemoveContainer(ctx, c.ID, RemoveOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.volumes.Get(anon); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("anonymous volume after rm -v: %v", err)
	}
	v, err := e.volumes.Get("keep")
	if err != nil {
		t.Fatalf("named volume after rm -v: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(v.Mountpoint, "f")); err != nil || string(b) != "n\n" {
		t.Errorf("named volume content %q %v", b, err)
	}
	_ = e.removeVolumeLocked("keep")
}

func TestParallelRunRemove(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := e.CreateContainer(ctx, CreateOptions{Image: "busybox", Config: cmd("sleep", "100")})
			if err != nil {
				errs <- err
				return
			}
			if _, err := e.StartContainer(ctx, c.ID, nil); err != nil {
				errs <- err
			}
			if err := e.RemoveContainer(ctx, c.ID, RemoveOptions{Force: true}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if list, err := e.ListContainers(ctx); err != nil || len(list) != 0 {
		t.Errorf("left: %d %v", len(list), err)
	}
}

// TestBootAfterReboot loses the runroot (as a reboot does) under a running
// restart=always container and an unless-stopped one the user stopped:
// Boot settles both and starts only the first.
func TestBootAfterReboot(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	always := run(t, e, cmd("sleep", "1000"), &ctypes.HostConfig{RestartPolicy: ctypes.RestartPolicy{Name: ctypes.RestartPolicyAlways}})
	stopped := run(t, e, cmd("sleep", "1000"), &ctypes.HostConfig{RestartPolicy: ctypes.RestartPolicy{Name: ctypes.RestartPolicyUnlessStopped}})
	zero := time.Duration(0)
	if err := e.StopContainer(ctx, stopped.ID, &zero, ""); err != nil {
		t.Fatal(err)
	}
	always, err := e.GetContainer(ctx, always.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The "reboot": monitor and container gone, runroot wiped.
	_ = syscall.Kill(always.MonitorPid, syscall.SIGKILL)
	waitGone(t, always.MonitorPid, always.MonitorStart)
	_ = syscall.Kill(always.State.Pid, syscall.SIGKILL)
	waitGone(t, always.State.Pid, 0)
	_ = driver.UnmountRootfs(e.rootfsPath(always.ID))
	simulateRebootNetwork(t, e)
	if err := os.RemoveAll(e.runroot); err != nil {
		t.Fatal(err)
	}
	ids, err := e.Boot(ctx)
	if err != nil || len(ids) != 1 || ids[0] != always.ID {
		t.Fatalf("boot started %v: %v", ids, err)
	}
	got, err := e.GetContainer(ctx, always.ID)
	if err != nil || !got.State.Running {
		t.Fatalf("after boot: %+v %v", got, err)
	}
	if es := got.Networks["bridge"]; es == nil || !es.IPAddress.IsValid() || !fileExists(e.netnsPath(got.ID)) {
		t.Errorf("after boot: network not rebuilt: %+v", es)
	}
	if got, _ := e.GetContainer(ctx, stopped.ID); got.Running() {
		t.Errorf("manually stopped unless-stopped container was started")
	}
}

// TestAutoRemove: --rm removes the container and its anonymous volumes
// after it exits, and at once when its start fails.
func TestAutoRemove(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	c := run(t, e, cmd("sh", "-c", "exit 2"), &ctypes.HostConfig{AutoRemove: true, Binds: []string{"/anon"}})
	if code, err := e.WaitContainer(ctx, c.ID); err != nil || code != 2 {
		t.Fatalf("wait: %d %v", code, err)
	}
	if _, err := e.containers.Get(c.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("--rm container after exit: %v", err)
	}
	if _, err := e.volumes.Get(c.AnonymousVolumes[0]); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("--rm anonymous volume: %v", err)
	}
	c = create(t, e, cmd("/no/such/binary"), &ctypes.HostConfig{AutoRemove: true})
	if _, err := e.StartContainer(ctx, c.ID, nil); !errors.Is(err, runtime.ErrNoExecutable) {
		t.Fatalf("start of a missing binary: %v", err)
	}
	if _, err := e.containers.Get(c.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("--rm container after a failed start: %v", err)
	}
}

// TestPauseKillStop: stop works on a paused container; kill of a stopped
// one is a conflict; kill counts as a manual stop (no restart).
func TestPauseKillStop(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	c := run(t, e, cmd("sleep", "1000"), &ctypes.HostConfig{RestartPolicy: ctypes.RestartPolicy{Name: ctypes.RestartPolicyAlways}})
	if err := e.PauseContainer(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.PauseContainer(ctx, c.ID); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("pausing twice: %v", err)
	}
	if err := e.UnpauseContainer(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.PauseContainer(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	timeout := 200 * time.Millisecond
	if err := e.StopContainer(ctx, c.ID, &timeout, ""); err != nil {
		t.Fatalf("stop of a paused container: %v", err)
	}
	if err := e.KillContainer(ctx, c.ID, ""); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("kill of a stopped container: %v", err)
	}
	if _, err := e.StartContainer(ctx, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.KillContainer(ctx, c.ID, "KILL"); err != nil {
		t.Fatal(err)
	}
	got, err := e.GetContainer(ctx, c.ID)
	if err != nil || got.Running() || got.State.ExitCode != 137 || got.RestartCount != 0 {
		t.Fatalf("after kill: %+v restarts %d %v", got.State, got.RestartCount, err)
	}
}
