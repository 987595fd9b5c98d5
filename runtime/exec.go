package runtime

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/onggi/onggi/runtime/nsenter"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// exec starts p in the container: the helper's constructor joins every
// namespace of the init (user first) and its root, the parent puts the
// helper in the container's cgroup, and the helper applies the process's
// attributes and execs. The sync socket closes on exec: EOF means success.
func (c *Container) exec(p *specs.Process, o ExecOpts) (_ *os.Process, retErr error) {
	if p == nil {
		return nil, invalid("process", "missing")
	}
	if err := validateProcess(p); err != nil {
		return nil, err
	}
	st, status, err := c.saved()
	if err != nil {
		return nil, err
	}
	if status != specs.StateRunning && status != specs.StateCreated {
		return nil, conflict(c.id, status, "exec")
	}
	spec, err := readSpec(st.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("exec in %s: %w", c.id, err)
	}
	so, err := c.execSpawnOpts(st, spec, p, o)
	if err != nil {
		return nil, err
	}
	filter, err := c.rt.compileSeccomp(spec)
	if err != nil {
		closeAll(so.extra)
		return nil, err
	}
	sp, err := c.spawnInCgroup(st, so)
	closeAll(so.extra)
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			sp.kill()
		}
	}()
	cfg := &initConfig{Spec: helperSpec(spec, filter), Process: p, PreserveFDs: o.PreserveFDs, ConsoleFD: -1, StartFD: -1, Seccomp: filter}
	if p.Terminal {
		cfg.ConsoleFD = sp.fdBase
	}
	if err := sp.sc.send(syncMsg{Type: msgConfig, Config: cfg}); err != nil {
		return nil, fmt.Errorf("exec in %s: %w", c.id, err)
	}
	if err := waitExec(sp); err != nil {
		return nil, fmt.Errorf("exec in %s: %w", c.id, err)
	}
	sp.sync.Close()
	if err := writePidFile(o.PidFile, sp.proc.Pid); err != nil {
		return nil, err
	}
	return sp.proc, nil
}

func (c *Container) execSpawnOpts(st *savedState, spec *specs.Spec, p *specs.Process, o ExecOpts) (spawnOpts, error) {
	so := spawnOpts{helper: execHelper, stdio: o.Stdio, preserve: o.PreserveFDs,
		selfExe: c.rt.selfExe, noExeDefence: c.rt.noExeDefence}
	if p.Terminal {
		cons, err := dialConsoleSocket(o.ConsoleSocket)
		if err != nil {
			return so, err
		}
		so.extra = []*os.File{cons}
	}
	pid := strconv.Itoa(st.InitPid)
	cfg := &nsenter.Config{Root: "/proc/" + pid + "/root"}
	for _, ns := range spec.Linux.Namespaces {
		name, _ := nsenter.ProcName(string(ns.Type))
		cfg.Join = append(cfg.Join, nsenter.Join{Type: string(ns.Type), Path: "/proc/" + pid + "/ns/" + name})
	}
	so.ns = cfg
	// The init may have died between our status check and now: its
	// /proc entries would then name nothing, or someone else.
	if !st.alive() {
		return so, fmt.Errorf("container %s: %w", c.id, ErrNotRunning)
	}
	return so, nil
}

// spawnInCgroup starts the exec helper already inside the container's
// cgroup (cgroups.Manager.ApplyStart), as create does for the init: moving
// it afterwards through cgroup.procs would wait out an RCU grace period
// (5-15 ms here) on every exec.
func (c *Container) spawnInCgroup(st *savedState, so spawnOpts) (*spawned, error) {
	if len(st.CgroupPaths) == 0 {
		sp, err := spawn(so)
		if err != nil {
			return nil, fmt.Errorf("exec in %s: %w", c.id, err)
		}
		return sp, nil
	}
	cg, err := cgroupLoad(st.CgroupPaths, st.Systemd)
	if err != nil {
		return nil, err
	}
	var sp *spawned
	var spawnErr error
	err = cg.ApplyStart(func(cgroupFD int) (int, error) {
		so.intoCgroup, so.cgroupFD = cgroupFD >= 0, cgroupFD
		if sp, spawnErr = spawn(so); spawnErr != nil {
			return 0, spawnErr
		}
		return sp.proc.Pid, nil
	})
	switch {
	case err != nil && spawnErr != nil:
		return nil, fmt.Errorf("exec in %s: %w", c.id, err)
	case err != nil:
		sp.kill()
		return nil, fmt.Errorf("exec in %s: joining cgroup: %w", c.id, err)
	}
	return sp, nil
}

// waitExec reads the helper's report: an error message, or EOF once its
// execve closed the (close-on-exec) socket.
func waitExec(sp *spawned) error {
	var m syncMsg
	err := sp.sc.dec.Decode(&m)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Type == msgError {
		return remoteError(m.Kind, m.Error)
	}
	return fmt.Errorf("exec helper: unexpected message %q", m.Type)
}

// runExec is the exec helper, already in the container's namespaces.
func runExec(_ *os.File, sc *syncConn) error {
	m, err := sc.recv(msgConfig)
	if err != nil {
		return err
	}
	cfg := m.Config
	if cfg.ConsoleFD >= 0 {
		if _, err := setupConsole(os.NewFile(uintptr(cfg.ConsoleFD), "console-socket"), cfg.Process.ConsoleSize); err != nil {
			return err
		}
	}
	pp, err := prepareProcess(cfg)
	if err != nil {
		return err
	}
	return finishAndExec(pp)
}
