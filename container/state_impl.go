package container

import (
	"fmt"
	"time"

	units "github.com/docker/go-units"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/errdefs"
)

// zeroTime is how docker prints a timestamp that never happened
// ("0001-01-01T00:00:00Z"), so inspect output matches byte for byte.
var zeroTime = formatTime(time.Time{})

// legalMoves is Transition's table (see its comment).
var legalMoves = map[ctypes.ContainerState][]ctypes.ContainerState{
	ctypes.StateCreated:    {ctypes.StateRunning, ctypes.StateExited, ctypes.StateRemoving, ctypes.StateDead},
	ctypes.StateRunning:    {ctypes.StateRunning, ctypes.StatePaused, ctypes.StateExited, ctypes.StateRestarting, ctypes.StateRemoving, ctypes.StateDead},
	ctypes.StatePaused:     {ctypes.StateRunning, ctypes.StateExited, ctypes.StateRemoving, ctypes.StateDead},
	ctypes.StateRestarting: {ctypes.StateRunning, ctypes.StateExited, ctypes.StateRemoving, ctypes.StateDead},
	ctypes.StateExited:     {ctypes.StateRunning, ctypes.StateRestarting, ctypes.StateRemoving, ctypes.StateDead},
	ctypes.StateRemoving:   {ctypes.StateDead},
	ctypes.StateDead:       {ctypes.StateRemoving},
}

// NewState is a created container's state, timestamps docker's zero.
func NewState() ctypes.State {
	return ctypes.State{Status: ctypes.StateCreated, StartedAt: zeroTime, FinishedAt: zeroTime}
}

// ShortID is the 12-hex id docker prints.
func (c *Container) ShortID() string {
	if len(c.ID) < 12 {
		return c.ID
	}
	return c.ID[:12]
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ParseTime reads a State timestamp; a missing one is the zero time.
func ParseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func legal(from, to ctypes.ContainerState) bool {
	for _, m := range legalMoves[from] {
		if m == to {
			return true
		}
	}
	return false
}

func transition(st *ctypes.State, to ctypes.ContainerState, ch Change) error {
	from := st.Status
	if from == "" {
		from = ctypes.StateCreated
	}
	if !legal(from, to) {
		return fmt.Errorf("container state %s cannot become %s: %w", from, to, errdefs.ErrConflict)
	}
	at := ch.At
	if at.IsZero() {
		at = time.Now()
	}
	if st.StartedAt == "" {
		st.StartedAt = zeroTime
	}
	if st.FinishedAt == "" {
		st.FinishedAt = zeroTime
	}
	switch to {
	case ctypes.StateRunning:
		toRunning(st, from, at, ch)
	case ctypes.StatePaused:
		st.Paused = true
	case ctypes.StateExited:
		st.Running, st.Paused, st.Restarting, st.Pid = false, false, false, 0
		st.ExitCode, st.OOMKilled, st.Error = ch.ExitCode, ch.OOMKilled, ch.Error
		st.FinishedAt = formatTime(at)
	case ctypes.StateRestarting:
		// Docker counts a restarting container as running (rm, stop and
		// wait treat it so) while no process exists between two runs.
		st.Running, st.Restarting, st.Paused, st.Pid = true, true, false, 0
		st.ExitCode, st.OOMKilled = ch.ExitCode, ch.OOMKilled
		st.FinishedAt = formatTime(at)
	case ctypes.StateRemoving:
		// The process flags stay: rm -f marks removal before the kill.
	case ctypes.StateDead:
		st.Running, st.Paused, st.Restarting, st.Pid, st.Dead = false, false, false, 0, true
		if ch.Error != "" {
			st.Error = ch.Error
		}
		if !ch.At.IsZero() {
			st.FinishedAt = formatTime(at)
		}
	}
	st.Status = to
	return nil
}

func toRunning(st *ctypes.State, from ctypes.ContainerState, at time.Time, ch Change) {
	st.Running, st.Paused, st.Restarting, st.Dead = true, false, false, false
	if from == ctypes.StatePaused {
		// Unpause: same process, same start time.
		if ch.Pid != 0 {
			st.Pid = ch.Pid
		}
		return
	}
	st.Pid = ch.Pid
	st.ExitCode, st.OOMKilled, st.Error = 0, false, ""
	st.StartedAt = formatTime(at)
}

// StatusString is docker ps's STATUS column for c at now ("Up 5
// seconds", "Exited (0) 2 minutes ago", …), built as docker's
// State.String with go-units' HumanDuration.
func StatusString(c *Container, now time.Time) string {
	st := &c.State
	switch st.Status {
	case ctypes.StateRunning:
		up := "Up " + units.HumanDuration(now.Sub(ParseTime(st.StartedAt)))
		if h := st.Health; h != nil && h.Status != "" && h.Status != ctypes.NoHealthcheck {
			if h.Status == ctypes.Starting {
				return up + " (health: starting)"
			}
			return up + " (" + string(h.Status) + ")"
		}
		return up
	case ctypes.StatePaused:
		return "Up " + units.HumanDuration(now.Sub(ParseTime(st.StartedAt))) + " (Paused)"
	case ctypes.StateRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", st.ExitCode, units.HumanDuration(now.Sub(ParseTime(st.FinishedAt))))
	case ctypes.StateRemoving:
		return "Removal In Progress"
	case ctypes.StateDead:
		return "Dead"
	case ctypes.StateExited:
		return exitedStatus(st, now)
	}
	return "Created"
}

// exitedStatus: a container whose start failed never started, and docker
// shows it as "Created" although it carries an exit code.
func exitedStatus(st *ctypes.State, now time.Time) string {
	if ParseTime(st.StartedAt).IsZero() {
		return "Created"
	}
	finished := ParseTime(st.FinishedAt)
	if finished.IsZero() {
		return ""
	}
	return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, units.HumanDuration(now.Sub(finished)))
}
