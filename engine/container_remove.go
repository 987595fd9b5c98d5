package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/runtime/driver"
)

// forceStopTimeout bounds how long rm -f waits for a SIGKILLed container's
// exit to be recorded before deleting its runtime state itself.
const forceStopTimeout = 10 * time.Second

func (e *Engine) removeContainer(ctx context.Context, ref string, o RemoveOptions) error {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return err
	}
	if c.Running() {
		if !o.Force {
			return classed(errdefs.ErrConflict, "cannot remove container \"/%s\": container is running: stop the container before removing or force remove", c.Name)
		}
		if err := e.forceStop(ctx, c); err != nil {
			return err
		}
	}
	if c.State.Status == ctypes.StateRemoving && o.Force && !e.monitorAlive(c) {
		// A removal whose remover died (a --rm monitor killed mid-way).
		return e.destroy(ctx, c, o.Volumes)
	}
	err = e.removeStopped(ctx, c.ID, o.Volumes)
	if err != nil && c.HostConfig != nil && c.HostConfig.AutoRemove {
		// Its monitor is removing it (--rm) since we stopped it.
		return e.awaitRemoved(ctx, c.ID, err)
	}
	return err
}

// awaitRemoved waits for a --rm container's monitor to finish removing it;
// err is what our own removal attempt said.
func (e *Engine) awaitRemoved(ctx context.Context, id string, err error) error {
	deadline := time.Now().Add(forceStopTimeout)
	for {
		c, gerr := e.containers.Get(id)
		switch {
		case errors.Is(gerr, errdefs.ErrNotFound):
			return nil
		case gerr != nil:
			return gerr
		case c.State.Status != ctypes.StateRemoving || time.Now().After(deadline):
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// forceStop SIGKILLs c and waits for its exit. When no monitor holds it
// (the monitor was killed) or the exit is not recorded in time, the
// runtime's state is deleted directly.
func (e *Engine) forceStop(ctx context.Context, c *container.Container) error {
	c, err := e.markStopped(c.ID)
	if err != nil || !c.Running() {
		return err
	}
	if err := e.signal(c, syscall.SIGKILL); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, forceStopTimeout)
	defer cancel()
	if _, ok, err := e.waitMonitor(wctx, c.ID); err == nil && ok {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if d, err := e.driverOf(c); err == nil {
		_ = d.Delete(c.ID, true)
	}
	_, err = e.containers.Update(c.ID, func(c *container.Container) error {
		if !c.Running() {
			return errSettled
		}
		clearLiveNetwork(c) // destroy tears the network down
		return container.Transition(&c.State, ctypes.StateExited, container.Change{At: time.Now().UTC(), ExitCode: 137})
	})
	if errors.Is(err, errSettled) {
		return nil
	}
	return err
}

// removeStopped deletes a container that does not run: it claims the record
// (state removing, so a concurrent rm or start fails cleanly), then removes
// runtime state, rootfs mount, snapshot, anonymous volumes (with volumes)
// and the record. A failure leaves the container "dead" for a later rm.
func (e *Engine) removeStopped(ctx context.Context, id string, volumes bool) error {
	c, err := e.containers.Update(id, func(c *container.Container) error {
		switch {
		case c.State.Status == ctypes.StateRemoving:
			return classed(errdefs.ErrConflict, "removal of container %s is already in progress", shortID(c.ID))
		case c.Running():
			return classed(errdefs.ErrConflict, "cannot remove container \"/%s\": container is running", c.Name)
		}
		return container.Transition(&c.State, ctypes.StateRemoving, container.Change{})
	})
	if err != nil {
		return err
	}
	return e.destroy(ctx, c, volumes)
}

// destroy deletes a container already claimed (state removing).
func (e *Engine) destroy(ctx context.Context, c *container.Container, volumes bool) (retErr error) {
	id := c.ID
	defer Span("destroy")()
	defer func() {
		if retErr != nil {
			_, _ = e.containers.Update(id, func(c *container.Container) error {
				return container.Transition(&c.State, ctypes.StateDead, container.Change{At: time.Now().UTC(), Error: retErr.Error()})
			})
		}
	}()
	end := Span("destroy.runtime-delete")
	if d, err := e.driverOf(c); err == nil {
		_ = d.Delete(c.ID, true) // the monitor normally did; gone is fine
	}
	end()
	end = Span("destroy.network")
	e.detachNetworks(c)
	if !e.deferPurge && isBridgeMode(c.HostConfig) {
		e.gcNetworks() // the monitor does this when it idles out
	}
	end()
	end = Span("destroy.rundir")
	if err := driver.UnmountRootfs(e.rootfsPath(c.ID)); err != nil {
		return fmt.Errorf("removing container %s: %w", shortID(c.ID), err)
	}
	if err := e.removeRunDir(c.ID); err != nil {
		return fmt.Errorf("removing container %s: %w", shortID(c.ID), err)
	}
	end()
	defer Span("destroy.snapshot+record")()
	if c.SnapshotKey != "" {
		if err := e.removeSnapshot(ctx, c.SnapshotKey); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return fmt.Errorf("removing container %s: %w", shortID(c.ID), err)
		}
	}
	if volumes {
		for _, name := range c.AnonymousVolumes {
			if err := e.removeVolumeLocked(name); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
				return fmt.Errorf("removing container %s: volume %s: %w", shortID(c.ID), name, err)
			}
		}
	}
	if !e.deferPurge {
		return e.containers.Remove(c.ID)
	}
	purge, err := e.containers.RemoveDeferred(c.ID)
	if err != nil {
		return err
	}
	e.inBackground("container "+shortID(c.ID), purge)
	return nil
}

// removeRunDir removes a container's runtime directory (bundle and the
// now unmounted rootfs mount point); in the monitor it is renamed aside
// and deleted in the background (see deferPurge).
func (e *Engine) removeRunDir(id string) error {
	dir := e.runDir(id)
	if e.deferPurge {
		aside := filepath.Join(e.runroot, "containers", ".rm-"+id)
		err := os.Rename(dir, aside)
		if err == nil {
			e.inBackground("container "+shortID(id), func() error { return os.RemoveAll(aside) })
			return nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		// A leftover .rm- of a killed monitor: delete in place.
	}
	return os.RemoveAll(dir)
}

// removeSnapshot removes a container's snapshot; in the monitor its files
// are deleted in the background (see deferPurge).
func (e *Engine) removeSnapshot(ctx context.Context, key string) error {
	if !e.deferPurge {
		return e.images.Snapshots().Remove(ctx, key)
	}
	purge, err := e.images.Snapshots().RemoveDeferred(ctx, key)
	if err != nil {
		return err
	}
	e.inBackground("snapshot "+shortID(key), purge)
	return nil
}

// inBackground runs a deferred deletion; Close waits for it.
func (e *Engine) inBackground(what string, purge func() error) {
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		if err := purge(); err != nil {
			e.logf("%s: deleting files: %v", what, err)
		}
	}()
}

// removeVolumeLocked removes a volume under its lock.
func (e *Engine) removeVolumeLocked(name string) error {
	unlock, err := e.volumes.Lock(name)
	if err != nil {
		return err
	}
	defer unlock()
	return e.volumes.Remove(name)
}
