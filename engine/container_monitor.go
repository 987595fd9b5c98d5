package engine

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/monitor"
	"github.com/onggi/onggi/reexec"
	"github.com/onggi/onggi/runtime/driver"
)

// monitorName is argv[0] of the re-executed monitor process.
const monitorName = "onggi-monitor"

// monitorIdleExit is how long a monitor with nothing to supervise lingers:
// long enough that `run -d` in a loop reuses one monitor, short enough that
// nothing stays resident once the last container is gone.
const monitorIdleExit = 5 * time.Second

// monitorClient returns the client of this runroot's monitor, spawning the
// monitor on first need.
func (e *Engine) monitorClient() *monitor.Client {
	e.monOnce.Do(func() {
		e.mon = monitor.NewClient(filepath.Join(e.runroot, "monitor"), e.spawnMonitor)
	})
	return e.mon
}

// spawnMonitor re-executes onggi as the monitor in its own session (so a
// terminal hangup or the CLI's exit does not reach it) and returns once the
// monitor closed its ready pipe: its socket listens, or it found another
// monitor holding the lock and exited.
func (e *Engine) spawnMonitor() error {
	defer Span("monitor.spawn")()
	wait, err := e.launchMonitor()
	if err != nil {
		return err
	}
	return wait()
}

// launchMonitor starts the monitor process; wait returns once it is ready.
// Split so that prewarmMonitor can start it without a goroutine hand-off.
func (e *Engine) launchMonitor() (wait func() error, err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("spawning monitor: %w", err)
	}
	cmd := &exec.Cmd{
		Path:        reexec.Self(),
		Args:        []string{monitorName, "--root", e.root, "--runroot", e.runroot},
		Dir:         "/", // never pin the caller's working directory (or its mount)
		ExtraFiles:  []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("spawning monitor: %w", err)
	}
	// The monitor outlives us; a background Wait only reaps it should it
	// exit while this (possibly long-lived) process still runs.
	go func() { _ = cmd.Wait() }()
	return func() error {
		defer r.Close()
		// One byte or EOF both mean "ready" (or "not needed").
		var b [1]byte
		if _, err := r.Read(b[:]); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("waiting for monitor: %w", err)
		}
		return nil
	}, nil
}

// monitorMain is the body of the onggi-monitor helper process.
func monitorMain() {
	fs := flag.NewFlagSet(monitorName, flag.ContinueOnError)
	root := fs.String("root", "", "persistent state directory")
	runroot := fs.String("runroot", "", "runtime state directory")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	os.Exit(runMonitor(*root, *runroot))
}

func runMonitor(root, runroot string) int {
	ready := os.NewFile(3, "ready")
	dir := filepath.Join(runroot, "monitor")
	logw := io.Discard
	if err := os.MkdirAll(dir, 0o700); err == nil {
		if f, err := os.OpenFile(filepath.Join(dir, "monitor.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			defer f.Close()
			logw = f
		}
	}
	if timingOn() {
		if f, err := os.OpenFile(filepath.Join(dir, "timing.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			defer f.Close()
			setTimingWriter(f)
		}
	}
	Mark("monitor.main")
	e, err := New(root, runroot, WithLog(logw))
	if err != nil {
		fmt.Fprintf(logw, "%s: %v\n", monitorName, err)
		return 1
	}
	defer e.Close()
	e.deferPurge = true
	e.sweepRunDirs()
	err = monitor.Serve(context.Background(), monitor.Config{
		Dir: dir, Hooks: e.monitorHooks(), Driver: e.driverFor,
		IdleExit: monitorIdleExit, Ready: ready, Logf: e.logf,
	})
	if err != nil {
		e.logf("%s: %v", monitorName, err)
		return 1
	}
	// Idle: nothing runs under this runroot any more, unless a start is
	// under way (its endpoint file tells gcNetworks so).
	e.gcNetworks()
	return 0
}

// sweepRunDirs deletes, in the background, the runtime directories a
// killed monitor had set aside (.rm-<id>, see removeRunDir) but not yet
// deleted. Their mounts were gone before they were set aside.
func (e *Engine) sweepRunDirs() {
	left, _ := filepath.Glob(filepath.Join(e.runroot, "containers", ".rm-*"))
	for _, dir := range left {
		e.inBackground("leftover "+filepath.Base(dir), func() error { return os.RemoveAll(dir) })
	}
}

// driverFor returns the (cached) driver of a runtime: "" or "onggi" is the
// in-process runtime, anything else a runc-compatible binary.
func (e *Engine) driverFor(rt, root string) (driver.Driver, error) {
	key := rt + "\x00" + root
	e.drvMu.Lock()
	defer e.drvMu.Unlock()
	if d, ok := e.drivers[key]; ok {
		return d, nil
	}
	var d driver.Driver
	var err error
	if rt == "" || rt == defaultRuntime {
		d, err = driver.Onggi(root)
	} else {
		d, err = driver.External(rt, root)
	}
	if err != nil {
		return nil, err
	}
	if e.drivers == nil {
		e.drivers = map[string]driver.Driver{}
	}
	e.drivers[key] = d
	return d, nil
}

// runtimeOf is the monitor's (runtime, state root) pair for a container.
func (e *Engine) runtimeOf(c *container.Container) (string, string) {
	if c.Runtime == "" || c.Runtime == defaultRuntime {
		return "", filepath.Join(e.runroot, "runtime")
	}
	return c.Runtime, filepath.Join(e.runroot, "runtime-"+filepath.Base(c.Runtime))
}

// driverOf is the driver that runs c.
func (e *Engine) driverOf(c *container.Container) (driver.Driver, error) {
	return e.driverFor(e.runtimeOf(c))
}

// monitorHooks are the engine's policy as the monitor applies it.
func (e *Engine) monitorHooks() monitor.Hooks {
	self, _ := procStartTime(os.Getpid())
	return monitor.Hooks{
		Started: func(id string, pid int, at time.Time) error {
			defer Span("hook.started")()
			_, err := e.containers.Update(id, func(c *container.Container) error {
				c.MonitorPid, c.MonitorStart = os.Getpid(), self
				e.recordEndpoint(c)
				return container.Transition(&c.State, ctypes.StateRunning, container.Change{At: at, Pid: pid})
			})
			return err
		},
		Exited:        e.onExited,
		BeforeRestart: e.beforeRestart,
		Health: func(id string, h ctypes.Health) error {
			_, err := e.containers.Update(id, func(c *container.Container) error {
				c.State.Health = &h
				return nil
			})
			return err
		},
		Done: e.onDone,
	}
}

// onExited records an exit and applies the restart policy.
func (e *Engine) onExited(id string, ex monitor.Exit) bool {
	defer Span("hook.exited")()
	restart := false
	c, err := e.containers.Update(id, func(c *container.Container) error {
		ch := container.Change{At: ex.At, ExitCode: ex.Code, OOMKilled: ex.OOMKilled, Error: ex.Err}
		if err := container.Transition(&c.State, ctypes.StateExited, ch); err != nil {
			return err
		}
		restart = wantsRestart(c, ex.Code)
		if restart {
			// The netns, addresses and ports stay for the next run.
			return container.Transition(&c.State, ctypes.StateRestarting, ch)
		}
		clearLiveNetwork(c) // the run is over: Done tears the network down
		if c.HostConfig != nil && c.HostConfig.AutoRemove {
			// Claim the --rm removal in the same write (Done performs it):
			// one record write less on `run --rm`'s path.
			return container.Transition(&c.State, ctypes.StateRemoving, container.Change{})
		}
		return nil
	})
	if err != nil {
		e.logf("container %s: recording exit: %v", shortID(id), err)
		return false
	}
	if c.State.Status == ctypes.StateRemoving {
		// Done follows at once (no restart): hand it the record as
		// written rather than have it read and decode the file again.
		e.removing.Store(id, c)
	}
	return restart
}

// wantsRestart is docker's restart manager decision after an exit.
func wantsRestart(c *container.Container, code int) bool {
	if c.ManuallyStopped || c.HostConfig == nil || c.HostConfig.AutoRemove {
		return false
	}
	p := c.HostConfig.RestartPolicy
	switch p.Name {
	case ctypes.RestartPolicyAlways, ctypes.RestartPolicyUnlessStopped:
		return true
	case ctypes.RestartPolicyOnFailure:
		return code != 0 && (p.MaximumRetryCount == 0 || c.RestartCount < p.MaximumRetryCount)
	}
	return false
}

// errNoRestart cancels a restart inside an Update (nothing is written).
var errNoRestart = errors.New("restart cancelled")

func (e *Engine) beforeRestart(id string) bool {
	_, err := e.containers.Update(id, func(c *container.Container) error {
		if c.ManuallyStopped || c.State.Status != ctypes.StateRestarting {
			return errNoRestart
		}
		c.RestartCount++
		return nil
	})
	return err == nil
}

// onDone releases a finished container's rootfs and, for --rm, removes it
// with its anonymous volumes (docker's --rm implies -v for those).
func (e *Engine) onDone(id string) {
	defer Span("hook.done")()
	endUnmount := Span("done.unmount")
	if err := driver.UnmountRootfs(e.rootfsPath(id)); err != nil {
		e.logf("container %s: %v", shortID(id), err)
	}
	endUnmount()
	var c *container.Container
	var err error
	if v, ok := e.removing.LoadAndDelete(id); ok {
		c = v.(*container.Container) // claimed by onExited, under the hook lock
	} else if c, err = e.containers.Get(id); err != nil {
		return
	}
	e.detachNetworks(c)
	if c.HostConfig == nil || !c.HostConfig.AutoRemove {
		e.clearStaleNetwork(c)
		return
	}
	if c.State.Status == ctypes.StateRemoving {
		err = e.destroy(context.Background(), c, true) // claimed by onExited
	} else {
		err = e.removeStopped(context.Background(), c.ID, true)
	}
	if err != nil && !errors.Is(err, errdefs.ErrNotFound) && !errors.Is(err, errdefs.ErrConflict) {
		e.logf("container %s: auto-remove: %v", shortID(id), err)
	}
}

// procStartTime is field 22 of /proc/<pid>/stat: the start time in clock
// ticks, which with the pid identifies one process across pid reuse.
func procStartTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// comm may contain spaces and parentheses: fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, classed(errdefs.ErrInvalid, "parsing /proc/%d/stat", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 {
		return 0, classed(errdefs.ErrInvalid, "parsing /proc/%d/stat", pid)
	}
	return strconv.ParseUint(string(f[19]), 10, 64)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
