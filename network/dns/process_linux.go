package dns

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/onggi/onggi/errdefs"
	"golang.org/x/sys/unix"
)

// Ensure starts network netID's responder unless one runs, and returns once
// it listens. exe is the onggi binary (reexec.Self()); the engine writes the
// records file and brings the listen addresses up first.
//
// Two locks: the pidfile's flock is held by the responder for its whole
// life (one per network); the ensure lock serialises Ensure callers with
// each other and with a responder's idle exit, so that Ensure never returns
// nil for a responder that is about to leave (see Config.ExitLock).
func Ensure(exe, runroot, netID string) error {
	if err := checkNetID(netID); err != nil {
		return err
	}
	if err := os.MkdirAll(dnsDir(runroot), 0o755); err != nil {
		return fmt.Errorf("starting dns responder for network %s: %w", netID, err)
	}
	lk, err := flockFile(lockPath(runroot, netID), true)
	if err != nil {
		return fmt.Errorf("starting dns responder for network %s: %w", netID, err)
	}
	defer lk.Close()
	_, held, err := holder(pidPath(runroot, netID))
	if err != nil {
		return fmt.Errorf("starting dns responder for network %s: %w", netID, err)
	}
	if held {
		return nil
	}
	if err := spawn(exe, runroot, netID); err != nil {
		return fmt.Errorf("starting dns responder for network %s: %w", netID, err)
	}
	return nil
}

// spawn re-executes exe as the responder in its own session (a terminal's
// signals or the caller's exit must not reach it) and waits for its word on
// the ready pipe (fd 3): "ok", or the reason it could not start.
func spawn(exe, runroot, netID string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := &exec.Cmd{
		Path:        exe,
		Args:        []string{HelperName, "--runroot", runroot, "--network", netID},
		Dir:         "/", // never pin the caller's working directory
		ExtraFiles:  []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return err
	}
	msg, err := readReady(r)
	if err == nil && msg == readyOK {
		// It outlives us; this only reaps it should it exit first.
		go func() { _ = cmd.Wait() }()
		return nil
	}
	if err != nil { // no word in time: do not leave it half-started
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	switch {
	case err != nil:
		return errdefs.Errorf(errdefs.ErrUnavailable, "dns responder not ready: %w", err)
	case msg != "":
		return errdefs.Errorf(errdefs.ErrUnavailable, "%s", msg)
	}
	return errdefs.Errorf(errdefs.ErrUnavailable, "dns responder exited before it was ready: %v", werr)
}

const readyOK = "ok"

func readReady(r *os.File) (string, error) {
	if err := r.SetReadDeadline(time.Now().Add(readyTimeout)); err != nil {
		return "", err
	}
	data, err := io.ReadAll(io.LimitReader(r, 4096))
	return strings.TrimSpace(string(data)), err
}

// Stop removes network netID's records file, terminates its responder and
// waits (bounded) until it is gone. A network without one is fine.
func Stop(runroot, netID string) error {
	if err := checkNetID(netID); err != nil {
		return err
	}
	if err := os.Remove(RecordsPath(runroot, netID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stopping dns responder for network %s: %w", netID, err)
	}
	if err := terminate(pidPath(runroot, netID)); err != nil {
		return fmt.Errorf("stopping dns responder for network %s: %w", netID, err)
	}
	os.Remove(pidPath(runroot, netID))
	os.Remove(lockPath(runroot, netID))
	return nil
}

// terminate signals the pidfile's lock holder and waits for it to exit.
// The pid is pinned with a pidfd and checked against the pidfile after
// pinning, so a recycled pid is never signalled.
func terminate(path string) error {
	deadline := time.Now().Add(stopTimeout)
	for time.Now().Before(deadline) {
		pid, held, err := holder(path)
		if err != nil || !held {
			return err
		}
		if pid == 0 { // still starting: it writes its pid once listening
			time.Sleep(10 * time.Millisecond)
			continue
		}
		fd, err := unix.PidfdOpen(pid, 0)
		if errors.Is(err, unix.ESRCH) {
			time.Sleep(5 * time.Millisecond) // exited; its lock goes next
			continue
		}
		if err != nil {
			return &os.SyscallError{Syscall: "pidfd_open", Err: err}
		}
		again, err := killPinned(fd, pid, path)
		unix.Close(fd)
		if !again {
			return err
		}
	}
	return errdefs.Errorf(errdefs.ErrUnavailable, "dns responder still running after %s", stopTimeout)
}

// killPinned sends SIGTERM, then SIGKILL after stopTimeout, to the process
// behind pidfd fd if it is still the pidfile's holder; again means the
// holder changed under us and the caller should look again.
func killPinned(fd, pid int, path string) (again bool, err error) {
	if now, held, err := holder(path); err != nil || !held || now != pid {
		return err == nil && held, err
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return false, &os.SyscallError{Syscall: "pidfd_send_signal", Err: err}
	}
	if exited(fd, stopTimeout) {
		return false, nil
	}
	_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	if exited(fd, time.Second) {
		return false, nil
	}
	return false, errdefs.Errorf(errdefs.ErrUnavailable, "dns responder %d did not exit", pid)
}

// exited waits until the pidfd polls readable: the process has exited.
func exited(fd int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms <= 0 {
			return false
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err == nil && n > 0
	}
}
