package driver

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/onggi/onggi/runtime"
)

// exitCode is docker's exit code for a wait status: the status, or 128+n
// for a process killed by signal n.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// initProcess is the init of a container created by onggi's runtime in
// this process; only the runtime's Container can wait for it (it also
// drains the stdio copies).
type initProcess struct {
	c   *runtime.Container
	pid int
}

func (p *initProcess) Pid() int { return p.pid }

func (p *initProcess) Wait() (int, error) {
	code, err := p.c.Wait()
	return code, classify(err)
}

// pidProcess is a process known by pid that is (or will be, once the
// runtime binary that started it exited) a child of ours: os.FindProcess
// holds a pidfd, so a reused pid cannot be waited for by mistake.
type pidProcess struct {
	pid  int
	proc *os.Process
}

func newPidProcess(pid int) (*pidProcess, error) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil, fmt.Errorf("finding process %d: %w", pid, err)
	}
	return &pidProcess{pid: pid, proc: p}, nil
}

func (p *pidProcess) Pid() int { return p.pid }

// Wait reaps the process. It fails with ECHILD when the process is not our
// child (an external runtime's process without SetSubreaper).
func (p *pidProcess) Wait() (int, error) {
	ps, err := p.proc.Wait()
	if err != nil {
		if errors.Is(err, syscall.ECHILD) {
			return 0, fmt.Errorf("waiting for process %d: not a child of this process (subreaper not set?): %w", p.pid, err)
		}
		return 0, fmt.Errorf("waiting for process %d: %w", p.pid, err)
	}
	return exitCode(ps.Sys().(syscall.WaitStatus)), nil
}
