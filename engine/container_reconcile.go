package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/runtime/driver"
)

// errLost is State.Error of a run whose monitor died with its container.
const errLost = "exit status lost: monitor died"

func (e *Engine) getContainer(ctx context.Context, ref string) (*container.Container, error) {
	c, err := e.containers.Get(ref)
	if err != nil {
		return nil, err
	}
	return e.reconcile(c), nil
}

func (e *Engine) listContainers(ctx context.Context) ([]*container.Container, error) {
	list, err := e.containers.List()
	if err != nil {
		return nil, err
	}
	for i, c := range list {
		list[i] = e.reconcile(c)
	}
	return list, nil
}

// reconcile checks a record that says running against reality: the
// monitor that recorded the run (pid and start time, so a reused pid does
// not count) or, with the monitor gone, the runtime's state. A run that is
// gone with its monitor is settled as exited 255 under the record's lock,
// so a second reader sees the settled record.
func (e *Engine) reconcile(c *container.Container) *container.Container {
	if !c.Running() || e.monitorAlive(c) || e.runtimeAlive(c) {
		return c
	}
	settled, err := e.containers.Update(c.ID, func(c *container.Container) error {
		if !c.Running() || e.monitorAlive(c) {
			return errSettled
		}
		c.State.Health = nil
		// releaseLost tears the network down from the record as it was.
		defer clearLiveNetwork(c)
		return container.Transition(&c.State, ctypes.StateExited, container.Change{
			At: time.Now().UTC(), ExitCode: 255, Error: errLost,
		})
	})
	if err == nil {
		e.releaseLost(c)
		return settled
	}
	if errors.Is(err, errSettled) {
		if fresh, err := e.containers.Get(c.ID); err == nil {
			return fresh
		}
	}
	return c
}

// releaseLost frees what a dead monitor could not: the runtime's state
// (so the container can start again), the cgroup, the rootfs mount and
// the network (netns, veths, addresses, ports; after a reboot only the
// addresses are left, in the root). c is the record as it was before it
// was settled, with the run's live endpoints.
// With the runtime's state gone too (runroot wiped) the runtime cannot
// find the cgroup, so it is removed by the path the spec gave it; after a
// real reboot it is gone already and this is a no-op.
func (e *Engine) releaseLost(c *container.Container) {
	if d, err := e.driverOf(c); err == nil {
		_ = d.Delete(c.ID, true)
	}
	if err := removeCgroup(c); err != nil {
		e.logf("container %s: %v", shortID(c.ID), err)
	}
	if err := driver.UnmountRootfs(e.rootfsPath(c.ID)); err != nil {
		e.logf("container %s: %v", shortID(c.ID), err)
	}
	e.detachNetworks(c)
}

// errSettled aborts a reconcile Update: another process settled the record.
var errSettled = errors.New("record already settled")

// monitorAlive reports whether the monitor that recorded c's run still runs.
func (e *Engine) monitorAlive(c *container.Container) bool {
	if c.MonitorPid <= 0 {
		return false
	}
	st, err := procStartTime(c.MonitorPid)
	// A killed monitor may linger as a zombie until its new parent reaps it.
	return err == nil && st == c.MonitorStart && !procExited(c.MonitorPid)
}

// runtimeAlive asks the runtime whether c's init still runs (an
// unsupervised container whose monitor was killed).
func (e *Engine) runtimeAlive(c *container.Container) bool {
	d, err := e.driverOf(c)
	if err != nil {
		return false
	}
	st, err := d.State(c.ID)
	if err != nil {
		return false
	}
	switch st.Status {
	case "running", "paused", "created", "pausing":
		// A zombie counts as gone: with its monitor dead, the init was
		// reparented to a pid 1 that may be slow (or fail) to reap it.
		return st.Pid <= 0 || !procExited(st.Pid)
	}
	return false
}

// procExited reports whether pid is gone or a zombie.
func procExited(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && len(b) > i+2 && (b[i+2] == 'Z' || b[i+2] == 'X')
}
