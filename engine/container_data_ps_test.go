package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
)

func psRecord(id, name string, created time.Time, st ctypes.State, labels map[string]string) *container.Container {
	return &container.Container{
		ID: id, Name: name, Created: created, Image: "busybox", ImageID: "sha256:" + id,
		Path: "sleep", Args: []string{"100"},
		Config:     &ctypes.Config{Labels: labels},
		HostConfig: &ctypes.HostConfig{NetworkMode: "none"},
		State:      st,
	}
}

func TestPSFilters(t *testing.T) {
	e, err := New(t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	running := ctypes.State{Status: ctypes.StateRunning, Running: true, StartedAt: now.Add(-time.Minute).Format(time.RFC3339Nano)}
	exited := ctypes.State{Status: ctypes.StateExited, ExitCode: 3, FinishedAt: now.Format(time.RFC3339Nano)}
	healthy := running
	healthy.Health = &ctypes.Health{Status: ctypes.Healthy}
	a := psRecord("aaaa1111", "web", now.Add(-3*time.Hour), running, map[string]string{"app": "web", "tier": "front"})
	a.Config.ExposedPorts = network.PortSet{network.MustParsePort("80/tcp"): {}}
	a.HostConfig.PortBindings = network.PortMap{network.MustParsePort("8080/tcp"): nil}
	b := psRecord("bbbb2222", "db", now.Add(-2*time.Hour), exited, map[string]string{"app": "db"})
	c := psRecord("cccc3333", "webcache", now.Add(-time.Hour), healthy, nil)
	c.Mounts = []ctypes.MountPoint{{Type: mount.TypeVolume, Name: "cachevol", Destination: "/cache"}}
	list := []*container.Container{c, b, a}

	cases := []struct {
		filters map[string][]string
		want    []string
	}{
		{map[string][]string{"name": {"web"}}, []string{"webcache", "web"}},
		{map[string][]string{"name": {"cache"}}, []string{"webcache"}},
		{map[string][]string{"id": {"bbbb"}}, []string{"db"}},
		{map[string][]string{"label": {"app"}}, []string{"db", "web"}},
		{map[string][]string{"label": {"app=web", "tier=front"}}, []string{"web"}},
		{map[string][]string{"label": {"app=web", "tier=back"}}, nil},
		{map[string][]string{"status": {"exited"}}, []string{"db"}},
		{map[string][]string{"status": {"running", "exited"}}, []string{"webcache", "db", "web"}},
		{map[string][]string{"exited": {"3"}}, []string{"db"}},
		{map[string][]string{"exited": {"0"}}, nil},
		{map[string][]string{"ancestor": {"busybox"}}, []string{"webcache", "db", "web"}},
		{map[string][]string{"before": {"webcache"}}, []string{"db", "web"}},
		{map[string][]string{"since": {"web"}}, []string{"webcache", "db"}},
		{map[string][]string{"volume": {"cachevol"}}, []string{"webcache"}},
		{map[string][]string{"volume": {"/cache"}}, []string{"webcache"}},
		{map[string][]string{"health": {"healthy"}}, []string{"webcache"}},
		{map[string][]string{"health": {"none"}}, []string{"db", "web"}},
		{map[string][]string{"network": {"none"}}, []string{"webcache", "db", "web"}},
		{map[string][]string{"network": {"host"}}, nil},
		{map[string][]string{"expose": {"80"}}, []string{"web"}},
		{map[string][]string{"expose": {"70-90/tcp"}}, []string{"web"}},
		{map[string][]string{"expose": {"80/udp"}}, nil},
		{map[string][]string{"publish": {"8080"}}, []string{"web"}},
		{map[string][]string{"is-task": {"false"}}, []string{"webcache", "db", "web"}},
	}
	for _, tc := range cases {
		m, err := e.newPSMatcher(context.Background(), tc.filters)
		if err != nil {
			t.Fatalf("%v: %v", tc.filters, err)
		}
		if err := m.resolveBounds(list); err != nil {
			t.Fatalf("%v: %v", tc.filters, err)
		}
		var got []string
		for _, r := range list {
			if m.match(r) {
				got = append(got, r.Name)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%v: got %v, want %v", tc.filters, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%v: got %v, want %v", tc.filters, got, tc.want)
			}
		}
	}
}

func TestPSInvalidFilters(t *testing.T) {
	e, err := New(t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []map[string][]string{
		{"color": {"red"}},
		{"status": {"sleeping"}},
		{"health": {"fine"}},
		{"exited": {"x"}},
	} {
		_, err := e.newPSMatcher(context.Background(), f)
		if !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%v: err %v, want ErrInvalid", f, err)
		}
	}
	_, err = e.newPSMatcher(context.Background(), map[string][]string{"color": {"red"}})
	if err == nil || err.Error() != "invalid filter 'color': invalid" {
		t.Errorf("message %q", err)
	}
}

func TestPSStatusAndSummary(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := func(s ctypes.State) *container.Container { return psRecord("abc", "n", now, s, nil) }
	cases := []struct {
		c    *container.Container
		want string
	}{
		{st(ctypes.State{Status: ctypes.StateCreated}), "Created"},
		{st(ctypes.State{Status: ctypes.StateRunning, Running: true, StartedAt: now.Add(-5 * time.Minute).Format(time.RFC3339Nano)}), "Up 5 minutes"},
		{st(ctypes.State{Status: ctypes.StatePaused, Running: true, Paused: true, StartedAt: now.Add(-time.Hour).Format(time.RFC3339Nano)}), "Up About an hour (Paused)"},
		{st(ctypes.State{Status: ctypes.StateRunning, Running: true, StartedAt: now.Add(-3 * time.Second).Format(time.RFC3339Nano), Health: &ctypes.Health{Status: ctypes.Starting}}), "Up 3 seconds (health: starting)"},
		{st(ctypes.State{Status: ctypes.StateExited, ExitCode: 137, StartedAt: now.Add(-time.Hour).Format(time.RFC3339Nano), FinishedAt: now.Add(-2 * time.Second).Format(time.RFC3339Nano)}), "Exited (137) 2 seconds ago"},
		{st(ctypes.State{Status: ctypes.StateDead}), "Dead"},
	}
	for _, tc := range cases {
		if got := container.StatusString(tc.c, now); got != tc.want {
			t.Errorf("status %+v: %q, want %q", tc.c.State, got, tc.want)
		}
	}
	s := summary(cases[1].c)
	if s.Command != "sleep 100" || s.Names[0] != "/n" || s.HostConfig.NetworkMode != "none" || s.Ports == nil {
		t.Errorf("summary %+v", s)
	}
}
