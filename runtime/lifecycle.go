package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/onggi/onggi/runtime/cgroups"
	"github.com/onggi/onggi/runtime/hooks"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// statusPaused is runc's extra status (runtime-spec has no paused).
const statusPaused specs.ContainerState = "paused"

func (r *Runtime) load(id string) (*Container, error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	if _, err := readState(r.dir(id), id); err != nil {
		return nil, err
	}
	return &Container{rt: r, id: id}, nil
}

func (r *Runtime) list() ([]*Container, error) {
	ents, err := os.ReadDir(r.root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	var out []*Container
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(r.root, e.Name(), stateFile)); err == nil {
			out = append(out, &Container{rt: r, id: e.Name()})
		}
	}
	return out, nil
}

func (c *Container) dir() string { return c.rt.dir(c.id) }

// saved reads the container's state and its live status.
func (c *Container) saved() (*savedState, specs.ContainerState, error) {
	st, err := readState(c.dir(), c.id)
	if err != nil {
		return nil, "", err
	}
	return st, st.status(c.dir()), nil
}

func (c *Container) state() (*specs.State, error) {
	st, status, err := c.saved()
	if err != nil {
		return nil, err
	}
	out := &specs.State{Version: specs.Version, ID: c.id, Status: status, Bundle: st.Bundle,
		Annotations: st.Annotations}
	if status != specs.StateStopped {
		out.Pid = st.InitPid
	}
	return out, nil
}

// Created returns when the container was created (runc state's "created").
func (c *Container) Created() (time.Time, error) {
	st, err := readState(c.dir(), c.id)
	if err != nil {
		return time.Time{}, err
	}
	return st.Created, nil
}

func conflict(id string, status specs.ContainerState, op string) error {
	return fmt.Errorf("container %s is %s, cannot %s: %w", id, status, op, ErrConflict)
}

// start releases the init: it connects to the start socket, on which the
// init accepts, runs startContainer hooks and execs; the connection closes
// on exec (close-on-exec), so EOF without a message means the user process
// runs. No polling: the read blocks until then.
func (c *Container) start() error {
	st, status, unlock, err := c.lockedState()
	if err != nil {
		return err
	}
	defer unlock()
	if status != specs.StateCreated {
		return conflict(c.id, status, "start")
	}
	conn, err := dialStart(c.dir())
	if err != nil {
		return fmt.Errorf("starting %s: %w", c.id, err)
	}
	msg, err := io.ReadAll(conn)
	conn.Close()
	_ = os.Remove(filepath.Join(c.dir(), startSock))
	if err != nil {
		return fmt.Errorf("starting %s: %w", c.id, err)
	}
	if len(msg) > 0 {
		var m syncMsg
		if err := json.Unmarshal(msg, &m); err != nil {
			return fmt.Errorf("starting %s: %s", c.id, msg)
		}
		return fmt.Errorf("starting %s: %w", c.id, remoteError(m.Kind, m.Error))
	}
	c.runWarnHooks(st, hooks.Poststart, specs.StateRunning)
	return nil
}

// runWarnHooks runs poststart or poststop hooks, whose failures are only
// warnings per runtime-spec.
func (c *Container) runWarnHooks(st *savedState, kind string, status specs.ContainerState) {
	hs := st.Poststart
	if kind == hooks.Poststop {
		hs = st.Poststop
	}
	if len(hs) == 0 {
		return
	}
	s := &specs.State{Version: specs.Version, ID: c.id, Status: status, Pid: st.InitPid,
		Bundle: st.Bundle, Annotations: st.Annotations}
	if err := hooks.Run(kind, hs, s); err != nil {
		fmt.Fprintf(c.rt.warn, "warning: container %s: %v\n", c.id, err)
	}
}

func (c *Container) wait() (int, error) {
	if c.proc == nil {
		return 0, fmt.Errorf("container %s: only the process that created it can wait: %w", c.id, ErrConflict)
	}
	ps, err := c.proc.Wait()
	if err != nil {
		return 0, fmt.Errorf("waiting for container %s: %w", c.id, err)
	}
	c.copies.Wait()
	ws := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}

func (c *Container) signal(sig syscall.Signal, all bool) error {
	st, status, err := c.saved()
	if err != nil {
		return err
	}
	if status == specs.StateStopped {
		return fmt.Errorf("container %s: %w", c.id, ErrNotRunning)
	}
	if !all {
		return signalInit(st, sig)
	}
	cg, err := cgroupLoad(st.CgroupPaths, st.Systemd)
	if err != nil {
		return err
	}
	pids, err := cg.Pids()
	if err != nil {
		return fmt.Errorf("listing processes of %s: %w", c.id, err)
	}
	for _, p := range pids {
		if err := unix.Kill(p, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("signalling %d in %s: %w", p, c.id, err)
		}
	}
	if status == statusPaused && sig == unix.SIGKILL {
		_ = cg.Thaw()
	}
	return nil
}

// signalInit signals the init through a pidfd, so a pid reused since our
// start-time check cannot receive it.
func signalInit(st *savedState, sig syscall.Signal) error {
	pfd, err := unix.PidfdOpen(st.InitPid, 0)
	if err != nil {
		return fmt.Errorf("container %s: %w", st.ID, ErrNotRunning)
	}
	defer unix.Close(pfd)
	if !st.alive() {
		return fmt.Errorf("container %s: %w", st.ID, ErrNotRunning)
	}
	if err := unix.PidfdSendSignal(pfd, sig, nil, 0); err != nil {
		return fmt.Errorf("signalling container %s: %w", st.ID, &os.SyscallError{Syscall: "pidfd_send_signal", Err: err})
	}
	return nil
}

func (c *Container) delete(force bool) error {
	st, status, unlock, err := c.lockedState()
	if err != nil {
		return err
	}
	defer unlock()
	if status != specs.StateStopped {
		// A created container is deleted without --force, as runc does
		// (and the runtime-tools suite expects): its user process never ran.
		if !force && status != specs.StateCreated {
			return conflict(c.id, status, "delete")
		}
		if err := killAndWait(st); err != nil {
			return err
		}
	}
	if err := unmountRecorded(st); err != nil {
		return err
	}
	if len(st.CgroupPaths) > 0 {
		cg, err := cgroupLoad(st.CgroupPaths, st.Systemd)
		if err == nil {
			err = destroyCgroup(cg)
		}
		if err != nil {
			return fmt.Errorf("deleting %s: cgroup: %w", c.id, err)
		}
	}
	c.runWarnHooks(st, hooks.Poststop, specs.StateStopped)
	if err := os.RemoveAll(c.dir()); err != nil {
		return fmt.Errorf("deleting %s: %w", c.id, err)
	}
	return nil
}

// killAndWait SIGKILLs every process of the container and waits for the
// init to be gone (pidfd readable), thawing a frozen cgroup so it can die.
func killAndWait(st *savedState) error {
	pfd, err := unix.PidfdOpen(st.InitPid, 0)
	if err != nil || !st.alive() {
		return nil
	}
	defer unix.Close(pfd)
	if cg, err := cgroupLoad(st.CgroupPaths, st.Systemd); err == nil {
		if pids, err := cg.Pids(); err == nil {
			for _, p := range pids {
				_ = unix.Kill(p, unix.SIGKILL)
			}
		}
		_ = cg.Thaw()
	}
	_ = unix.PidfdSendSignal(pfd, unix.SIGKILL, nil, 0)
	fds := []unix.PollFd{{Fd: int32(pfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 10000)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return fmt.Errorf("container %s: init %d did not die", st.ID, st.InitPid)
		}
		return nil
	}
}

func (c *Container) processes() ([]int, error) {
	st, _, err := c.saved()
	if err != nil {
		return nil, err
	}
	cg, err := cgroupLoad(st.CgroupPaths, st.Systemd)
	if err != nil {
		return nil, err
	}
	pids, err := cg.Pids()
	sort.Ints(pids)
	return pids, err
}

// setPaused freezes or thaws the container and records it.
func (c *Container) setPaused(pause bool) error {
	st, status, unlock, err := c.lockedState()
	if err != nil {
		return err
	}
	defer unlock()
	want, op := statusPaused, "resume"
	if pause {
		want, op = specs.StateRunning, "pause"
	}
	if status != want {
		return conflict(c.id, status, op)
	}
	cg, err := cgroupLoad(st.CgroupPaths, st.Systemd)
	if err != nil {
		return err
	}
	if pause {
		err = cg.Freeze()
	} else {
		err = cg.Thaw()
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, c.id, err)
	}
	st.Paused = pause
	return writeState(c.dir(), st)
}

func (c *Container) pause() error  { return c.setPaused(true) }
func (c *Container) resume() error { return c.setPaused(false) }

func (c *Container) update(r *specs.LinuxResources) error {
	st, status, unlock, err := c.lockedState()
	if err != nil {
		return err
	}
	defer unlock()
	if status == specs.StateStopped {
		return conflict(c.id, status, "update")
	}
	cg, err := cgroupLoad(st.CgroupPaths, st.Systemd)
	if err != nil {
		return err
	}
	if err := cg.Set(r); err != nil {
		return fmt.Errorf("updating %s: %w", c.id, err)
	}
	st.Resources = mergeResources(st.Resources, r)
	return writeState(c.dir(), st)
}

// Stats reads the container's cgroup counters.
func (c *Container) Stats() (*cgroups.Stats, error) {
	st, status, err := c.saved()
	if err != nil {
		return nil, err
	}
	if status == specs.StateStopped {
		return nil, fmt.Errorf("container %s: %w", c.id, ErrNotRunning)
	}
	cg, err := cgroupLoad(st.CgroupPaths, st.Systemd)
	if err != nil {
		return nil, err
	}
	return cg.Stats()
}

// lockedState takes the container's lock and reads its state; the caller
// runs unlock when done (only when err is nil). Every transition goes
// through here, so two commands never act on one container at once.
func (c *Container) lockedState() (*savedState, specs.ContainerState, func(), error) {
	unlock, err := lockDir(c.dir(), c.id)
	if err != nil {
		return nil, "", nil, err
	}
	st, status, err := c.saved()
	if err != nil {
		unlock()
		return nil, "", nil, err
	}
	return st, status, unlock, nil
}
