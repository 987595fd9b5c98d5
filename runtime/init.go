package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/moby/sys/capability"
	"github.com/onggi/onggi/runtime/hooks"
	"github.com/onggi/onggi/runtime/rootfs"
	"github.com/onggi/onggi/runtime/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// RegisterHelpers registers the runtime's re-executed helpers (the
// container init and the exec helper) with register, which is
// reexec.Register in main.
func RegisterHelpers(register func(name string, fn func())) {
	register(initHelper, func() { helperMain(runInit) })
	register(execHelper, func() { helperMain(runExec) })
}

// helperMain runs a helper on one locked OS thread (credentials,
// capabilities and seccomp are per thread, and that thread execs); it
// returns only on failure, reported to the parent.
func helperMain(run func(*os.File, *syncConn) error) {
	goruntime.LockOSThread()
	fd, err := strconv.Atoi(os.Getenv(envSyncFD))
	if err != nil {
		fmt.Fprintln(os.Stderr, "onggi: helper started without its sync socket")
		os.Exit(1)
	}
	f := os.NewFile(uintptr(fd), "sync")
	sc := newSyncConn(f)
	err = run(f, sc)
	_ = sc.send(errorMsg(err))
	os.Exit(1)
}

// runInit is the container's init: it sets the container up in the order
// runtime-spec and runc use, reports ready, waits for Start and execs the
// user process. It returns only on failure.
func runInit(_ *os.File, sc *syncConn) error {
	m, err := sc.recv(msgConfig)
	if err != nil {
		return err
	}
	cfg := m.Config
	// Early: the signal goroutine may need a new thread, and no thread
	// should be started anywhere near the seccomp load.
	// --init: the reaper (reaper.go) handles signals instead.
	var rp *reaper
	if wantsReaper(cfg) {
		rp = newReaper()
	} else {
		exitOnSignal()
	}
	if !cfg.NoNewKeyring {
		// A session keyring of its own, so the container cannot reach
		// the host's keys (runc does the same).
		if _, err := unix.KeyctlJoinSessionKeyring("_ses." + cfg.State.ID); err != nil && !errors.Is(err, unix.ENOSYS) {
			return &os.SyscallError{Syscall: "keyctl(JOIN_SESSION_KEYRING)", Err: err}
		}
	}
	if cfg.NewCgroupNS {
		// Now, not at clone: the parent has put us in the container's
		// cgroup, which becomes the namespace's root.
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return &os.SyscallError{Syscall: "unshare(CLONE_NEWCGROUP)", Err: err}
		}
	}
	if err := setupRootfs(sc, cfg); err != nil {
		return err
	}
	if err := setupEnvironment(cfg); err != nil {
		return err
	}
	pp, err := prepareProcess(cfg)
	if err != nil {
		return err
	}
	pp.reaper = rp
	if err := sc.send(syncMsg{Type: msgReady}); err != nil {
		return err
	}
	return waitStartAndExec(pp)
}

// setupRootfs mounts, runs the hooks due before pivot_root, and pivots
// (chroots, for a container sharing the runtime's mount namespace).
func setupRootfs(sc *syncConn, cfg *initConfig) error {
	spec := cfg.Spec
	shared := sharesMountNS(spec)
	prepare := rootfs.Prepare
	if shared {
		prepare = rootfs.PrepareInHost
	}
	if err := prepare(spec, cfg.Rootfs); err != nil {
		return err
	}
	if cfg.ParentHooks {
		if err := sc.send(syncMsg{Type: msgHooks}); err != nil {
			return err
		}
		if _, err := sc.recv(msgHooksDone); err != nil {
			return err
		}
	}
	if spec.Hooks != nil {
		if err := hooks.Run(hooks.CreateContainer, spec.Hooks.CreateContainer, cfg.State); err != nil {
			return err
		}
	}
	if shared {
		return rootfs.ChrootRoot(cfg.Rootfs)
	}
	return rootfs.PivotRoot(cfg.Rootfs, cfg.NoPivot)
}

// setupEnvironment writes sysctls, names the host, sets up the console and
// applies masked/readonly paths (after sysctls: /proc/sys turns read-only).
func setupEnvironment(cfg *initConfig) error {
	spec := cfg.Spec
	for k, v := range spec.Linux.Sysctl {
		p := "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
		if err := os.WriteFile(p, []byte(v), 0); err != nil {
			return fmt.Errorf("linux.sysctl %q: %w", k, err)
		}
	}
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("hostname %q: %w", spec.Hostname, &os.SyscallError{Syscall: "sethostname", Err: err})
		}
	}
	if spec.Domainname != "" {
		if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
			return fmt.Errorf("domainname %q: %w", spec.Domainname, &os.SyscallError{Syscall: "setdomainname", Err: err})
		}
	}
	if cfg.ConsoleFD >= 0 {
		slave, err := setupConsole(os.NewFile(uintptr(cfg.ConsoleFD), "console-socket"), cfg.Process.ConsoleSize)
		if err != nil {
			return err
		}
		if err := rootfs.BindConsole(slave); err != nil {
			return err
		}
	}
	return rootfs.Finalize(spec)
}

// preparedProcess is a process set up but for the last steps before exec.
type preparedProcess struct {
	cfg    *initConfig
	path   string
	caps   capability.Capabilities // final sets, applied by finishAndExec
	filter *seccomp.Filter         // compiled before rlimits, loaded last
	// --init (reaper.go): the reaper forks the user process instead of
	// exec, and closes startConn (Start's connection) itself on success.
	reaper    *reaper
	startConn int
}

// prepareProcess applies the process's attributes that need privileges
// (rlimits, oom score, user and capabilities), umask and cwd, and resolves
// args[0]. Seccomp is left for finishAndExec, as late as possible: a Go
// process that creates a thread after loading a profile that refuses
// clone3 or rseq dies, so the window must be small.
//
// The filter is compiled first, though: libseccomp needs memory, and a
// tight RLIMIT_AS or RLIMIT_DATA from the spec would make it fail; loading
// the compiled program later allocates nothing.
func prepareProcess(cfg *initConfig) (*preparedProcess, error) {
	p := cfg.Process
	filter := cfg.Seccomp // compiled by the parent (runtime.compileSeccomp)
	if filter == nil && cfg.Spec.Linux != nil && cfg.Spec.Linux.Seccomp != nil {
		var err error
		if filter, err = seccomp.Compile(cfg.Spec.Linux.Seccomp); err != nil {
			return nil, err
		}
	}
	if err := setRlimits(p.Rlimits); err != nil {
		return nil, err
	}
	if err := setOOMScoreAdj(p); err != nil {
		return nil, err
	}
	keepAdmin := cfg.Spec.Linux.Seccomp != nil && !p.NoNewPrivileges
	caps, err := switchUser(p, keepAdmin)
	if err != nil {
		return nil, err
	}
	if p.User.Umask != nil {
		unix.Umask(int(*p.User.Umask))
	}
	if err := enterCwd(p.Cwd); err != nil {
		return nil, err
	}
	path, err := lookPath(p.Args[0], p.Env)
	if err != nil {
		return nil, err
	}
	return &preparedProcess{cfg: cfg, path: path, caps: caps, filter: filter}, closeExtraFDs(3 + cfg.PreserveFDs)
}

// finishAndExec loads seccomp (without noNewPrivileges: while
// CAP_SYS_ADMIN is still held, as runc does), drops to the final
// capabilities, sets noNewPrivileges and then loads seccomp in that case,
// runs the startContainer hooks and execs.
func finishAndExec(pp *preparedProcess) error {
	cfg, p := pp.cfg, pp.cfg.Process
	env := userEnv(p) // before seccomp: reading /etc/passwd may be filtered
	if !p.NoNewPrivileges {
		if _, err := pp.filter.Load(); err != nil {
			return err
		}
	}
	if err := dropCaps(pp.caps); err != nil {
		return err
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return &os.SyscallError{Syscall: "prctl(PR_SET_NO_NEW_PRIVS)", Err: err}
		}
		if _, err := pp.filter.Load(); err != nil {
			return err
		}
	}
	if cfg.Spec.Hooks != nil && cfg.StartFD >= 0 {
		st := *cfg.State
		st.Status = specs.StateRunning
		if err := hooks.Run(hooks.StartContainer, cfg.Spec.Hooks.StartContainer, &st); err != nil {
			return err
		}
	}
	if pp.reaper != nil {
		return pp.reaper.run(pp, env) // --init: returns only on failure
	}
	err := unix.Exec(pp.path, userArgs(p), env)
	return fmt.Errorf("%w: exec %q: %w", ErrNoExecutable, pp.path, err)
}

// exitOnSignal makes a created container die of the usual termination
// signals: as pid 1 of its pid namespace the init would otherwise ignore
// any signal it has no handler for, and Go's default handling re-raises
// with the default action, which pid 1 ignores too.
func exitOnSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2)
	go func() {
		s := <-ch
		os.Exit(128 + int(s.(syscall.Signal)))
	}()
}

// waitStartAndExec blocks until Start connects to the start socket, then
// execs. The connection is close-on-exec: Start sees EOF once the exec
// succeeded, or reads the error.
func waitStartAndExec(pp *preparedProcess) error {
	cfg := pp.cfg
	nfd, _, err := unix.Accept4(cfg.StartFD, unix.SOCK_CLOEXEC)
	for err == unix.EINTR {
		nfd, _, err = unix.Accept4(cfg.StartFD, unix.SOCK_CLOEXEC)
	}
	if err != nil {
		return &os.SyscallError{Syscall: "accept(start socket)", Err: err}
	}
	unix.Close(cfg.StartFD)
	pp.startConn = nfd
	err = finishAndExec(pp)
	if data, jerr := json.Marshal(errorMsg(err).plain()); jerr == nil {
		_, _ = unix.Write(nfd, data)
	}
	if errors.Is(err, ErrNoExecutable) {
		os.Exit(127)
	}
	os.Exit(1)
	return nil
}
