package runtime

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// InitAnnotation set to "true" in a spec asks for onggi's reaper as the
// container's PID 1 (docker run --init): the init forks the user process
// instead of becoming it, forwards signals to it and reaps orphans.
//
// The reaper is the init process itself, already running onggi's binary
// in the container: no init binary has to exist in the image, and a
// dynamically linked onggi could not be executed from a rootfs without
// libc anyway. Everything is set up (user, capabilities, no_new_privs,
// seccomp with TSYNC) before the fork, so both processes are confined.
//
// Residual privilege: setresuid and seccomp apply to every thread (glibc
// and TSYNC), but capabilities are per thread, and only the locked thread
// dropped them. With a non-root user the kernel clears the other threads'
// capabilities at the uid switch; with root they keep the init's. The
// reaper makes itself non-dumpable, so the container cannot ptrace it or
// open its /proc/<pid>/mem without CAP_SYS_PTRACE.
const InitAnnotation = "org.onggi.init"

// wantsReaper reports whether the init (not an exec) should run the reaper.
func wantsReaper(cfg *initConfig) bool {
	return cfg.StartFD >= 0 && cfg.Spec != nil && cfg.Spec.Annotations[InitAnnotation] == "true"
}

// reaper is PID 1 in front of the user process.
type reaper struct {
	sigs  chan os.Signal
	child atomic.Int64 // the user process once started
}

// newReaper installs the signal handling early, replacing exitOnSignal
// (the signal goroutine may need a new thread: not near seccomp). Until
// the user process runs, the termination signals end the init as before.
func newReaper() *reaper {
	r := &reaper{sigs: make(chan os.Signal, 64)}
	signal.Notify(r.sigs, forwardedSignals()...)
	go r.forward()
	return r
}

// forwardedSignals is every catchable signal but SIGCHLD (ours to reap),
// the synchronous faults (raised by a thread for itself), SIGURG (Go's
// preemption signal: forwarding it would pelt the child), glibc's internal
// 32 and 33, and SIGTTIN/SIGTTOU (as tini ignores them).
func forwardedSignals() []os.Signal {
	skip := map[syscall.Signal]bool{unix.SIGKILL: true, unix.SIGSTOP: true, unix.SIGCHLD: true,
		unix.SIGURG: true, unix.SIGSEGV: true, unix.SIGBUS: true, unix.SIGFPE: true, unix.SIGILL: true,
		unix.SIGTRAP: true, unix.SIGSYS: true, unix.SIGABRT: true, unix.SIGTTIN: true, unix.SIGTTOU: true,
		32: true, 33: true}
	var out []os.Signal
	for s := syscall.Signal(1); s <= 64; s++ {
		if !skip[s] {
			out = append(out, s)
		}
	}
	return out
}

func (r *reaper) forward() {
	for s := range r.sigs {
		sig := s.(syscall.Signal)
		pid := int(r.child.Load())
		if pid != 0 {
			_ = unix.Kill(pid, sig)
			continue
		}
		switch sig {
		case unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2:
			os.Exit(128 + int(sig))
		}
	}
}

// run starts the user process (path resolved, env built, everything
// confined by finishAndExec) from this locked thread, whose credentials
// the child inherits, reports success to Start by closing its connection
// (what exec would have done), then reaps until the user process exits
// and exits with its status. It returns only if the process cannot start.
func (r *reaper) run(pp *preparedProcess, env []string) error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return &os.SyscallError{Syscall: "prctl(PR_SET_DUMPABLE)", Err: err}
	}
	if os.Getpid() != 1 {
		// No pid namespace of its own (--pid host): orphans would go
		// to the host's init; as a subreaper we still collect them.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return &os.SyscallError{Syscall: "prctl(PR_SET_CHILD_SUBREAPER)", Err: err}
		}
	}
	files := make([]uintptr, 3+pp.cfg.PreserveFDs)
	for i := range files {
		files[i] = uintptr(i)
	}
	attr := &syscall.ProcAttr{Env: env, Files: files, Sys: &syscall.SysProcAttr{}}
	if pp.cfg.Process.Terminal && isTerminal(0) {
		// Like tini: the app gets its own process group in the
		// terminal's foreground, so ^C and ^Z reach it, not us.
		attr.Sys.Foreground, attr.Sys.Ctty = true, 0
	}
	pid, err := syscall.ForkExec(pp.path, userArgs(pp.cfg.Process), attr)
	if err != nil {
		return fmt.Errorf("%w: exec %q: %w", ErrNoExecutable, pp.path, err)
	}
	r.child.Store(int64(pid))
	unix.Close(pp.startConn)
	// The setup's garbage (spec, seccomp program) goes back to the
	// system: this process lives as long as the container.
	debug.FreeOSMemory()
	os.Exit(reap(pid))
	return nil
}

// reap waits for every child (orphans are reparented to us, PID 1) and
// returns docker's exit code of main: 128+n if signal n killed it, since
// PID 1 cannot re-raise a signal on itself.
func reap(main int) int {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 255 // ECHILD: cannot happen while main lives
		}
		if pid != main {
			continue
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}
