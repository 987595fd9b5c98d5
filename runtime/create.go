package runtime

import (
	"errors"
	"fmt"
	"github.com/onggi/onggi/runtime/seccomp"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/onggi/onggi/runtime/hooks"
	"github.com/onggi/onggi/runtime/nsenter"
	"github.com/onggi/onggi/runtime/rootfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// create is one Create call in progress; cleanup undoes what it did.
type create struct {
	r      *Runtime
	id     string
	dir    string
	spec   *specs.Spec
	rootfs string
	o      CreateOpts
	st     *savedState
	sp     *spawned
	cg     cgroupManager
	files  []*os.File // parent copies of the fds handed to the init
	// hostSnap: the runtime's mount IDs before the init started, for a
	// container sharing its mount namespace (hostns.go); nil otherwise.
	hostSnap rootfs.MountSnapshot
	filter   *seccomp.Filter // linux.seccomp, compiled (cached) before the spawn
}

func (r *Runtime) create(id string, o CreateOpts) (_ *Container, retErr error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	spec, rootfs, err := loadSpec(o.Bundle)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.root, 0o711); err != nil {
		return nil, fmt.Errorf("state root: %w", err)
	}
	dir := r.dir(id)
	err = os.Mkdir(dir, 0o711)
	if errors.Is(err, os.ErrExist) && removeStale(dir) {
		err = os.Mkdir(dir, 0o711)
	}
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("container %q: %w", id, ErrExist)
		}
		return nil, fmt.Errorf("state directory of %s: %w", id, err)
	}
	// Held until the state is written: Start, Delete and a stale-directory
	// check by another Create wait for it.
	unlock, err := lockDir(dir, id)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	defer unlock()
	c := &create{r: r, id: id, dir: dir, spec: spec, rootfs: rootfs, o: o}
	defer func() {
		closeAll(c.files)
		if retErr != nil {
			c.cleanup()
		}
	}()
	if err := c.run(); err != nil {
		return nil, fmt.Errorf("creating container %s: %w", id, err)
	}
	return &Container{rt: r, id: id, proc: c.sp.proc, copies: c.sp.copies}, nil
}

// cleanup leaves nothing behind: the init is killed (its mount namespace
// goes with it), the cgroup and the state directory removed.
func (c *create) cleanup() {
	if c.sp != nil {
		c.sp.kill()
	}
	if err := c.unmountHostMounts(); err != nil {
		fmt.Fprintf(c.r.warn, "warning: container %s: cleaning up mounts: %v\n", c.id, err)
	}
	if c.cg != nil {
		_ = destroyCgroup(c.cg)
	}
	_ = os.RemoveAll(c.dir)
}

func (c *create) run() error {
	absBundle, _ := filepath.Abs(c.o.Bundle)
	c.st = &savedState{ID: c.id, Bundle: absBundle, ConfigPath: filepath.Join(absBundle, "config.json"),
		Rootfs: c.rootfs, Created: time.Now().UTC(), Annotations: c.spec.Annotations,
		Systemd: c.r.systemdCgroup, NoPivot: c.o.NoPivot}
	if h := c.spec.Hooks; h != nil {
		c.st.Poststart, c.st.Poststop = h.Poststart, h.Poststop
	}
	so, err := c.spawnOpts()
	if err != nil {
		return err
	}
	if err := c.snapshotHostMounts(); err != nil {
		return err
	}
	if c.filter, err = c.r.compileSeccomp(c.spec); err != nil {
		return err
	}
	if err := c.spawnInCgroup(so); err != nil {
		return err
	}
	c.st.InitPid = c.sp.proc.Pid
	if c.st.InitStart, _, err = procStat(c.st.InitPid); err != nil {
		return fmt.Errorf("reading init's start time: %w", err)
	}
	if err := c.setResources(); err != nil {
		return err
	}
	if err := c.sp.sc.send(syncMsg{Type: msgConfig, Config: c.initConfig(so)}); err != nil {
		return fmt.Errorf("configuring init: %w", err)
	}
	if err := c.serveInit(); err != nil {
		return err
	}
	c.sp.sync.Close()
	if err := c.recordHostMounts(); err != nil {
		return err
	}
	if err := writeState(c.dir, c.st); err != nil {
		return err
	}
	return writePidFile(c.o.PidFile, c.st.InitPid)
}

// spawnOpts picks the fast path (Go's clone creates every namespace) unless
// a namespace is joined by path or a time namespace is asked for.
func (c *create) spawnOpts() (spawnOpts, error) {
	ln, err := listenStart(c.dir)
	if err != nil {
		return spawnOpts{}, err
	}
	c.files = append(c.files, ln)
	extra := []*os.File{ln}
	if c.spec.Process.Terminal {
		cons, err := dialConsoleSocket(c.o.ConsoleSocket)
		if err != nil {
			return spawnOpts{}, err
		}
		c.files = append(c.files, cons)
		extra = append(extra, cons)
	}
	so := spawnOpts{helper: initHelper, stdio: c.o.Stdio, preserve: c.o.PreserveFDs, extra: extra,
		selfExe: c.r.selfExe, noExeDefence: c.r.noExeDefence}
	l := c.spec.Linux
	var flags int
	var joins []nsenter.Join
	for _, ns := range l.Namespaces {
		if ns.Path != "" {
			joins = append(joins, nsenter.Join{Type: string(ns.Type), Path: ns.Path})
			c.st.Namespaces = setKey(c.st.Namespaces, string(ns.Type), ns.Path)
		} else if ns.Type != specs.CgroupNamespace {
			flags |= nsFlags[ns.Type]
		}
	}
	if len(joins) > 0 || flags&cloneNewTime != 0 {
		so.ns = &nsenter.Config{Join: joins, New: flags, TimeOffsets: timeOffsets(l.TimeOffsets)}
		so.specUIDMaps, so.specGIDMaps = l.UIDMappings, l.GIDMappings
		return so, nil
	}
	so.cloneflags = uintptr(flags)
	so.uidMaps, so.gidMaps = idMaps(l.UIDMappings), idMaps(l.GIDMappings)
	return so, nil
}

func (c *create) initConfig(so spawnOpts) *initConfig {
	cfg := &initConfig{Spec: helperSpec(c.spec, c.filter), Process: c.spec.Process, Rootfs: c.rootfs, NoPivot: c.o.NoPivot, NoNewKeyring: c.o.NoNewKeyring,
		PreserveFDs: c.o.PreserveFDs, ConsoleFD: -1, StartFD: c.sp.fdBase,
		NewCgroupNS: hasNewNS(c.spec.Linux, specs.CgroupNamespace),
		NewMountNS:  hasNewNS(c.spec.Linux, specs.MountNamespace),
		State:       c.specState(specs.StateCreating), Seccomp: c.filter}
	if c.spec.Process.Terminal {
		cfg.ConsoleFD = c.sp.fdBase + 1
	}
	if h := c.spec.Hooks; h != nil {
		//lint:ignore SA1019 prestart is deprecated but still honoured
		cfg.ParentHooks = len(h.Prestart) > 0 || len(h.CreateRuntime) > 0
	}
	return cfg
}

func (c *create) specState(status specs.ContainerState) *specs.State {
	return &specs.State{Version: specs.Version, ID: c.id, Status: status, Pid: c.st.InitPid,
		Bundle: c.st.Bundle, Annotations: c.spec.Annotations}
}

// serveInit answers the init until it reports ready: prestart and
// createRuntime hooks run here, in the runtime's namespaces, once the
// init's mounts are done.
func (c *create) serveInit() error {
	for {
		var m syncMsg
		if err := c.sp.sc.dec.Decode(&m); err != nil {
			return fmt.Errorf("container init died during setup: %w", err)
		}
		switch m.Type {
		case msgError:
			return remoteError(m.Kind, m.Error)
		case msgReady:
			return nil
		case msgHooks:
			h := c.spec.Hooks
			st := c.specState(specs.StateCreating)
			//lint:ignore SA1019 prestart is deprecated but still honoured
			if err := hooks.Run(hooks.Prestart, h.Prestart, st); err != nil {
				return err
			}
			if err := hooks.Run(hooks.CreateRuntime, h.CreateRuntime, st); err != nil {
				return err
			}
			if err := c.sp.sc.send(syncMsg{Type: msgHooksDone}); err != nil {
				return err
			}
		default:
			return fmt.Errorf("container init: unexpected message %q", m.Type)
		}
	}
}

// spawnInCgroup starts the init inside the container's cgroup
// (cgroups.Manager.ApplyStart: born there, which spares the slow move of a
// running process), before the init is sent its config.
func (c *create) spawnInCgroup(so spawnOpts) error {
	cg, err := cgroupNew(c.spec.Linux.CgroupsPath, c.id, c.r.systemdCgroup)
	if err != nil {
		return fmt.Errorf("linux.cgroupsPath: %w", err)
	}
	c.cg = cg
	var spawnErr error
	err = cg.ApplyStart(func(cgroupFD int) (int, error) {
		so.intoCgroup, so.cgroupFD = cgroupFD >= 0, cgroupFD
		c.sp, spawnErr = spawn(so)
		if spawnErr != nil {
			return 0, spawnErr
		}
		return c.sp.proc.Pid, nil
	})
	if err != nil && errors.Is(err, spawnErr) {
		return err
	}
	if err != nil {
		return fmt.Errorf("cgroup of %s: %w", c.id, err)
	}
	c.st.CgroupPaths = cg.Paths()
	return nil
}

func (c *create) setResources() error {
	if r := effectiveResources(c.spec); r != nil {
		if err := c.cg.Set(r); err != nil {
			return fmt.Errorf("linux.resources: %w", err)
		}
		c.st.Resources = r
	}
	return nil
}

// listenStart binds the start socket in the state directory. The path goes
// through /proc/self/fd/<dir> so a long --root cannot overflow sun_path.
func listenStart(dir string) (*os.File, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &os.SyscallError{Syscall: "socket", Err: err}
	}
	path := "/proc/self/fd/" + strconv.Itoa(int(d.Fd())) + "/" + startSock
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "bind", Path: filepath.Join(dir, startSock), Err: err}
	}
	if err := unix.Listen(fd, 1); err != nil {
		unix.Close(fd)
		return nil, &os.SyscallError{Syscall: "listen", Err: err}
	}
	return os.NewFile(uintptr(fd), "start-socket"), nil
}

// dialStart connects to a container's start socket.
func dialStart(dir string) (net.Conn, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	path := "/proc/self/fd/" + strconv.Itoa(int(d.Fd())) + "/" + startSock
	return net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
}

func idMaps(ms []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	var out []syscall.SysProcIDMap
	for _, m := range ms {
		out = append(out, syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
	}
	return out
}

func timeOffsets(offs map[string]specs.LinuxTimeOffset) string {
	var s string
	for clock, o := range offs {
		s += fmt.Sprintf("%s %d %d\n", clock, o.Secs, o.Nanosecs)
	}
	return s
}

func setKey(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// writePidFile writes pid atomically, as runc does.
func writePidFile(path string, pid int) error {
	if path == "" {
		return nil
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}

// destroyCgroup removes a cgroup after killing whatever is left in it,
// never ourselves (a thread of ours that failed to leave it after
// ApplyStart would list our pid).
func destroyCgroup(cg cgroupManager) error {
	if pids, err := cg.Pids(); err == nil {
		for _, p := range pids {
			if p != os.Getpid() {
				_ = unix.Kill(p, unix.SIGKILL)
			}
		}
	}
	// Destroy itself retries EBUSY (the killed processes still exiting)
	// with a bounded backoff; a second loop here would stretch a real
	// failure to minutes.
	return cg.Destroy()
}

// removeStale removes the state directory a Create killed midway left (no
// state.json, nobody holding its lock), so the id can be used again. Its
// init, if any, died when the sync socket closed.
func removeStale(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
		return false
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) != nil {
		return false // a Create is in progress
	}
	return os.RemoveAll(dir) == nil
}

// helperSpec is spec as sent to a helper. With a compiled filter, the
// profile (linux.seccomp: two thirds of a docker-style spec's bytes, which
// the helper, a fresh process, would decode for nothing) is replaced by an
// empty one: the helper only checks that a profile was given (keepAdmin in
// prepareProcess) and compiles it only when no filter came. spec itself is
// not modified.
func helperSpec(spec *specs.Spec, filter *seccomp.Filter) *specs.Spec {
	if filter == nil || spec.Linux == nil || spec.Linux.Seccomp == nil {
		return spec
	}
	s, l := *spec, *spec.Linux
	l.Seccomp = &specs.LinuxSeccomp{}
	s.Linux = &l
	return &s
}

// compileSeccomp compiles the spec's seccomp profile through the runtime's
// cache, in the parent: the init then only loads the program.
func (r *Runtime) compileSeccomp(spec *specs.Spec) (*seccomp.Filter, error) {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil, nil
	}
	f, err := r.seccomp.Compile(spec.Linux.Seccomp)
	if err != nil {
		return nil, fmt.Errorf("compiling linux.seccomp: %w", err)
	}
	return f, nil
}
