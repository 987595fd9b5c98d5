package container

import (
	"errors"
	"testing"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/errdefs"
)

func TestNewState(t *testing.T) {
	st := NewState()
	if st.Status != ctypes.StateCreated || st.StartedAt != "0001-01-01T00:00:00Z" || st.FinishedAt != "0001-01-01T00:00:00Z" {
		t.Fatalf("NewState = %+v", st)
	}
}

func TestTransitionTable(t *testing.T) {
	all := []ctypes.ContainerState{ctypes.StateCreated, ctypes.StateRunning, ctypes.StatePaused,
		ctypes.StateRestarting, ctypes.StateExited, ctypes.StateRemoving, ctypes.StateDead}
	want := map[[2]ctypes.ContainerState]bool{}
	for from, tos := range map[ctypes.ContainerState][]ctypes.ContainerState{
		ctypes.StateCreated:    {"running", "exited", "removing", "dead"},
		ctypes.StateRunning:    {"running", "paused", "exited", "restarting", "removing", "dead"},
		ctypes.StatePaused:     {"running", "exited", "removing", "dead"},
		ctypes.StateRestarting: {"running", "exited", "removing", "dead"},
		ctypes.StateExited:     {"running", "restarting", "removing", "dead"},
		ctypes.StateRemoving:   {"dead"},
		ctypes.StateDead:       {"removing"},
	} {
		for _, to := range tos {
			want[[2]ctypes.ContainerState{from, to}] = true
		}
	}
	for _, from := range all {
		for _, to := range all {
			st := ctypes.State{Status: from}
			err := Transition(&st, to, Change{})
			if ok := want[[2]ctypes.ContainerState{from, to}]; ok != (err == nil) {
				t.Errorf("%s → %s: err %v, legal %v", from, to, err, ok)
			}
			if err != nil && !errors.Is(err, errdefs.ErrConflict) {
				t.Errorf("%s → %s: %v is not a conflict", from, to, err)
			}
			if err != nil && st.Status != from {
				t.Errorf("%s → %s: failed move changed status to %s", from, to, st.Status)
			}
		}
	}
}

func TestTransitionFields(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600))
	t1 := t0.Add(time.Minute)
	st := NewState()
	must := func(to ctypes.ContainerState, ch Change) {
		t.Helper()
		if err := Transition(&st, to, ch); err != nil {
			t.Fatal(err)
		}
	}
	must("running", Change{At: t0, Pid: 42})
	if !st.Running || st.Pid != 42 || st.StartedAt != "2026-01-02T02:04:05.0000006Z" || st.Status != "running" {
		t.Fatalf("running: %+v", st)
	}
	must("paused", Change{})
	if !st.Running || !st.Paused || st.Status != "paused" {
		t.Fatalf("paused: %+v", st)
	}
	must("running", Change{At: t1})
	if st.Paused || st.Pid != 42 || st.StartedAt != "2026-01-02T02:04:05.0000006Z" {
		t.Fatalf("unpause must keep pid and start time: %+v", st)
	}
	must("restarting", Change{At: t1, ExitCode: 3})
	if !st.Running || !st.Restarting || st.Pid != 0 || st.ExitCode != 3 || st.FinishedAt != "2026-01-02T02:05:05.0000006Z" {
		t.Fatalf("restarting: %+v", st)
	}
	must("running", Change{At: t1, Pid: 43})
	if st.Restarting || st.ExitCode != 0 || st.Pid != 43 {
		t.Fatalf("restarted: %+v", st)
	}
	must("exited", Change{At: t1, ExitCode: 137, OOMKilled: true})
	if st.Running || st.Pid != 0 || st.ExitCode != 137 || !st.OOMKilled || st.Status != "exited" {
		t.Fatalf("exited: %+v", st)
	}
	must("removing", Change{})
	must("dead", Change{Error: "driver failed"})
	if !st.Dead || st.Error != "driver failed" || st.Running {
		t.Fatalf("dead: %+v", st)
	}
}

func TestTransitionStartFailed(t *testing.T) {
	st := NewState()
	if err := Transition(&st, "exited", Change{ExitCode: 127, Error: "exec: \"nope\": executable file not found"}); err != nil {
		t.Fatal(err)
	}
	if st.StartedAt != zeroTime || st.ExitCode != 127 || st.Error == "" {
		t.Fatalf("%+v", st)
	}
	c := &Container{State: st}
	if got := StatusString(c, time.Now()); got != "Created" {
		t.Fatalf("a never-started container shows %q, docker shows Created", got)
	}
}

func TestStatusString(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) string { return formatTime(now.Add(-d)) }
	health := func(s ctypes.HealthStatus) *ctypes.Health { return &ctypes.Health{Status: s} }
	for _, tc := range []struct {
		st   ctypes.State
		want string
	}{
		{NewState(), "Created"},
		{ctypes.State{Status: "running", Running: true, StartedAt: ago(5 * time.Second)}, "Up 5 seconds"},
		{ctypes.State{Status: "running", Running: true, StartedAt: ago(0)}, "Up Less than a second"},
		{ctypes.State{Status: "running", Running: true, StartedAt: ago(3 * time.Hour), Health: health("healthy")}, "Up 3 hours (healthy)"},
		{ctypes.State{Status: "running", Running: true, StartedAt: ago(time.Minute), Health: health("starting")}, "Up About a minute (health: starting)"},
		{ctypes.State{Status: "running", Running: true, StartedAt: ago(time.Minute), Health: health("unhealthy")}, "Up About a minute (unhealthy)"},
		{ctypes.State{Status: "paused", Running: true, Paused: true, StartedAt: ago(2 * time.Minute)}, "Up 2 minutes (Paused)"},
		{ctypes.State{Status: "exited", StartedAt: ago(time.Hour), FinishedAt: ago(2 * time.Minute)}, "Exited (0) 2 minutes ago"},
		{ctypes.State{Status: "exited", ExitCode: 137, StartedAt: ago(time.Hour), FinishedAt: ago(49 * time.Hour)}, "Exited (137) 2 days ago"},
		{ctypes.State{Status: "restarting", Running: true, Restarting: true, ExitCode: 1, FinishedAt: ago(3 * time.Second)}, "Restarting (1) 3 seconds ago"},
		{ctypes.State{Status: "removing"}, "Removal In Progress"},
		{ctypes.State{Status: "dead", Dead: true}, "Dead"},
	} {
		if got := StatusString(&Container{State: tc.st}, now); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.st, got, tc.want)
		}
	}
}

func TestShortID(t *testing.T) {
	c := &Container{ID: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
	if c.ShortID() != "0123456789ab" {
		t.Fatal(c.ShortID())
	}
}
