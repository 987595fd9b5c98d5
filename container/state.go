package container

import (
	"time"

	ctypes "github.com/moby/moby/api/types/container"
)

// Change carries what a transition records besides the new status.
type Change struct {
	At        time.Time // StartedAt (running) or FinishedAt (exited/dead)
	Pid       int       // running: the init's host pid
	ExitCode  int       // exited
	OOMKilled bool      // exited
	Error     string    // exited/dead: why, when onggi (not the app) failed
}

// Transition moves st to status `to`, setting the docker State fields
// (Running, Paused, Restarting, Dead, Pid, ExitCode, timestamps) consistently.
// It is the only function that changes a State's status. Legal moves:
//
//	created    → running, exited (start failed), removing, dead
//	running    → paused, exited, restarting, removing, dead
//	paused     → running, exited, removing, dead
//	restarting → running, exited, removing, dead
//	exited     → running, restarting, removing, dead
//	removing   → dead
//	dead       → removing
//
// Anything else (and a move to the same status, except running→running for
// a restarted process) wraps errdefs.ErrConflict.
func Transition(st *ctypes.State, to ctypes.ContainerState, ch Change) error {
	return transition(st, to, ch)
}
