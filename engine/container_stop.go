package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/sys/signal"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/monitor"
)

// defaultStopTimeout is docker's grace period before SIGKILL.
const defaultStopTimeout = 10 * time.Second

func (e *Engine) stopContainer(ctx context.Context, ref string, timeout *time.Duration, sig string) error {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return err
	}
	if !c.Running() {
		return nil
	}
	s, err := stopSignal(c, sig)
	if err != nil {
		return err
	}
	return e.stop(ctx, c, s, stopTimeout(c, timeout))
}

func stopSignal(c *container.Container, sig string) (syscall.Signal, error) {
	if sig == "" && c.Config != nil {
		sig = c.Config.StopSignal
	}
	if sig == "" {
		return syscall.SIGTERM, nil
	}
	s, err := signal.ParseSignal(sig)
	if err != nil {
		return 0, classed(errdefs.ErrInvalid, "%s", err.Error())
	}
	return s, nil
}

func stopTimeout(c *container.Container, t *time.Duration) time.Duration {
	switch {
	case t != nil:
		return *t
	case c.Config != nil && c.Config.StopTimeout != nil:
		return time.Duration(*c.Config.StopTimeout) * time.Second
	}
	return defaultStopTimeout
}

// stop marks c manually stopped (so no restart policy brings it back),
// signals it, waits up to timeout (negative: forever), then SIGKILLs it and
// waits for the exit to be recorded.
func (e *Engine) stop(ctx context.Context, c *container.Container, sig syscall.Signal, timeout time.Duration) error {
	c, err := e.markStopped(c.ID)
	if err != nil || !c.Running() {
		return err
	}
	if sig != syscall.SIGKILL {
		if err := e.signal(c, sig); err != nil {
			return err
		}
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if timeout >= 0 {
			wctx, cancel = context.WithTimeout(ctx, timeout)
		}
		err := e.waitExit(wctx, c)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := e.signal(c, syscall.SIGKILL); err != nil {
		return err
	}
	return e.waitExit(ctx, c)
}

// markStopped sets ManuallyStopped; a container waiting in its restart
// back-off has no process to signal, so it is settled as exited at once
// (the monitor's BeforeRestart then cancels the restart).
func (e *Engine) markStopped(id string) (*container.Container, error) {
	return e.containers.Update(id, func(c *container.Container) error {
		c.ManuallyStopped = true
		if c.State.Status == ctypes.StateRestarting {
			return container.Transition(&c.State, ctypes.StateExited, container.Change{
				At: time.Now().UTC(), ExitCode: c.State.ExitCode, OOMKilled: c.State.OOMKilled,
			})
		}
		return nil
	})
}

// signal sends sig to c's init. A paused container is thawed after the
// signal so it can act on it (docker's stop and kill of a paused container).
func (e *Engine) signal(c *container.Container, sig syscall.Signal) error {
	d, err := e.driverOf(c)
	if err != nil {
		return err
	}
	if err := d.Kill(c.ID, sig, false); err != nil && !errors.Is(err, errdefs.ErrNotRunning) && !errors.Is(err, errdefs.ErrNotFound) {
		return fmt.Errorf("cannot kill container %s: %w", shortID(c.ID), err)
	}
	if c.State.Paused {
		if err := d.Resume(c.ID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return fmt.Errorf("resuming %s: %w", shortID(c.ID), err)
		}
		c.State.Paused = false // a later SIGKILL must not resume again
		_, _ = e.containers.Update(c.ID, func(r *container.Container) error {
			if !r.State.Paused {
				return errSettled
			}
			return container.Transition(&r.State, ctypes.StateRunning, container.Change{Pid: r.State.Pid, At: startedAt(r)})
		})
	}
	return nil
}

func startedAt(c *container.Container) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, c.State.StartedAt)
	return t
}

// waitExit waits until c's current run has ended and its exit is recorded.
// The monitor answers at once; without a monitor (it was killed) the
// runtime is polled until the process is gone and the record reconciled.
func (e *Engine) waitExit(ctx context.Context, c *container.Container) error {
	_, ok, err := e.waitMonitor(ctx, c.ID)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		cur, err := e.getContainer(ctx, c.ID)
		if err != nil || !cur.Running() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (e *Engine) restartContainer(ctx context.Context, ref string, timeout *time.Duration, sig string) error {
	if err := e.stopContainer(ctx, ref, timeout, sig); err != nil {
		return err
	}
	_, err := e.startContainer(ctx, ref, nil)
	return err
}

func (e *Engine) killContainer(ctx context.Context, ref, sig string) error {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return err
	}
	s := syscall.SIGKILL
	if sig != "" {
		if s, err = signal.ParseSignal(sig); err != nil {
			return classed(errdefs.ErrInvalid, "%s", err.Error())
		}
	}
	if !c.Running() {
		return classed(errdefs.ErrConflict, "cannot kill container: %s: container %s is not running", ref, c.ID)
	}
	// docker's kill counts as a manual stop: a killed container is not
	// restarted by its policy.
	if c, err = e.markStopped(c.ID); err != nil || !c.Running() {
		return err
	}
	if err := e.signal(c, s); err != nil {
		return err
	}
	if s == syscall.SIGKILL {
		return e.waitExit(ctx, c)
	}
	return nil
}

func (e *Engine) waitContainer(ctx context.Context, ref string) (int, error) {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return 0, err
	}
	if !c.Running() {
		return c.State.ExitCode, nil
	}
	ex, ok, err := e.waitMonitor(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	if ok {
		return ex.Code, nil
	}
	if err := e.waitExit(ctx, c); err != nil {
		return 0, err
	}
	c, err = e.containers.Get(c.ID)
	if err != nil {
		return 0, err
	}
	return c.State.ExitCode, nil
}

func (e *Engine) pauseContainer(ctx context.Context, ref string, on bool) error {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return err
	}
	switch {
	case c.State.Restarting:
		return classed(errdefs.ErrConflict, "container %s is restarting, wait until the container is running", c.ID)
	case !c.Running():
		return classed(errdefs.ErrConflict, "container %s is not running", c.ID)
	case on && c.State.Paused:
		return classed(errdefs.ErrConflict, "container %s is already paused", c.ID)
	case !on && !c.State.Paused:
		return classed(errdefs.ErrConflict, "container %s is not paused", c.ID)
	}
	d, err := e.driverOf(c)
	if err != nil {
		return err
	}
	to := ctypes.StateRunning
	if on {
		to, err = ctypes.StatePaused, d.Pause(c.ID)
	} else {
		err = d.Resume(c.ID)
	}
	if err != nil {
		return fmt.Errorf("container %s: %w", shortID(c.ID), err)
	}
	_, err = e.containers.Update(c.ID, func(c *container.Container) error {
		return container.Transition(&c.State, to, container.Change{Pid: c.State.Pid, At: startedAt(c)})
	})
	return err
}

// waitMonitor waits for the end of id's current run through the monitor,
// without spawning one: no monitor means it holds nothing (ok false).
func (e *Engine) waitMonitor(ctx context.Context, id string) (monitor.Exit, bool, error) {
	cl := monitor.NewClient(filepath.Join(e.runroot, "monitor"), func() error {
		return classed(errdefs.ErrUnavailable, "no monitor")
	})
	ex, ok, err := cl.Wait(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return ex, false, ctx.Err()
		}
		if errors.Is(err, errdefs.ErrUnavailable) {
			return ex, false, nil
		}
	}
	return ex, ok, err
}
