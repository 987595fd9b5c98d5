package monitor

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/errdefs"
)

// startDetached starts a container without attaching and ends it with
// SIGKILL when the test ends.
func (f *fixture) startDetached(t *testing.T, s Spec) {
	t.Helper()
	if _, err := f.client.Start(context.Background(), s, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if f.drv.Kill(s.ID, syscall.SIGKILL, false) == nil {
			f.rec.waitDone(t, s.ID)
		}
	})
}

// lastHealth returns id's latest recorded health; f.rec.mu is held.
func (f *fixture) lastHealth(id string) (ctypes.Health, bool) {
	hs := f.rec.healths[id]
	if len(hs) == 0 {
		return ctypes.Health{}, false
	}
	return hs[len(hs)-1], true
}

func TestHealthHealthy(t *testing.T) {
	f := newFixture(t, time.Minute)
	s := f.spec(t, nil, "sleep", "100")
	s.Health = &HealthConfig{Test: []string{"sh", "-c", "echo fine"}, Interval: 50 * time.Millisecond,
		StartInterval: 20 * time.Millisecond, StartPeriod: time.Minute, Timeout: 5 * time.Second, Retries: 2}
	f.startDetached(t, s)
	f.rec.waitFor(t, "healthy", func() bool {
		h, _ := f.lastHealth(s.ID)
		return h.Status == ctypes.Healthy
	})
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	first, h := f.rec.healths[s.ID][0], f.rec.healths[s.ID][len(f.rec.healths[s.ID])-1]
	if first.Status != ctypes.Starting {
		t.Errorf("first status %q, want starting", first.Status)
	}
	if len(h.Log) == 0 || h.Log[len(h.Log)-1].Output != "fine\n" || h.Log[len(h.Log)-1].ExitCode != 0 {
		t.Errorf("log %+v", h.Log)
	}
}

func TestHealthUnhealthy(t *testing.T) {
	f := newFixture(t, time.Minute)
	s := f.spec(t, nil, "sleep", "100")
	s.Health = &HealthConfig{Test: []string{"sh", "-c", "echo bad; exit 1"}, Interval: 20 * time.Millisecond,
		Timeout: 5 * time.Second, Retries: 3}
	f.startDetached(t, s)
	f.rec.waitFor(t, "unhealthy", func() bool {
		h, _ := f.lastHealth(s.ID)
		return h.Status == ctypes.Unhealthy
	})
	// Keep going until the log is full: it keeps the last 5 results.
	f.rec.waitFor(t, "more checks", func() bool { return len(f.rec.healths[s.ID]) >= 8 })
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	hs := f.rec.healths[s.ID]
	if h := hs[3]; h.Status != ctypes.Unhealthy || h.FailingStreak != 3 {
		t.Errorf("after 3 failures: %+v", h)
	}
	if h := hs[2]; h.Status != ctypes.Starting || h.FailingStreak != 2 {
		t.Errorf("after 2 failures: %+v", h)
	}
	h, _ := f.lastHealth(s.ID)
	if len(h.Log) != 5 || h.Log[4].Output != "bad\n" || h.Log[4].ExitCode != 1 {
		t.Errorf("log %d entries, last %+v", len(h.Log), h.Log[len(h.Log)-1])
	}
}

func TestHealthStartPeriodAndTimeout(t *testing.T) {
	f := newFixture(t, time.Minute)
	s := f.spec(t, nil, "sleep", "100")
	s.Health = &HealthConfig{Test: []string{"sleep", "10"}, Interval: time.Minute,
		StartInterval: 10 * time.Millisecond, StartPeriod: time.Minute, Timeout: 50 * time.Millisecond, Retries: 1}
	f.startDetached(t, s)
	// The starting record plus 3 timed-out checks, all within the start
	// period: they do not count.
	f.rec.waitFor(t, "3 checks", func() bool { return len(f.rec.healths[s.ID]) >= 4 })
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	h, _ := f.lastHealth(s.ID)
	if h.Status != ctypes.Starting || h.FailingStreak != 0 {
		t.Errorf("health %+v, want starting with no failing streak", h)
	}
	if r := h.Log[len(h.Log)-1]; r.ExitCode != -1 || r.Output != "Health check exceeded timeout (50ms)" {
		t.Errorf("timed-out check %+v", r)
	}
}

func TestIdleExitAndRespawn(t *testing.T) {
	f := newFixture(t, 50*time.Millisecond)
	<-f.first.done
	if _, err := os.Stat(filepath.Join(f.dir, "monitor.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket after idle exit: %v", err)
	}
	// Running does not start a monitor.
	if ids, err := f.client.Running(context.Background()); err != nil || len(ids) != 0 {
		t.Fatalf("running: %v %v", ids, err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "monitor.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Running started a monitor: %v", err)
	}
	// Start does, through spawn.
	var out syncBuffer
	sess, err := f.client.Start(context.Background(), f.spec(t, nil, "echo", "again"), &Attach{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if res := waitSession(t, sess); res.Exit.Code != 0 || out.String() != "again\n" {
		t.Fatalf("result %+v output %q", res, out.String())
	}
}

func TestSecondServeReturns(t *testing.T) {
	f := newFixture(t, time.Minute)
	second := f.serve(t, time.Minute)
	select {
	case <-second.done:
	case <-time.After(time.Minute):
		t.Fatal("a second Serve on the same dir did not return")
	}
	if second.err != nil {
		t.Fatal(second.err)
	}
	if _, err := f.client.Running(context.Background()); err != nil {
		t.Fatalf("first monitor: %v", err)
	}
}

func TestSIGTERMLeavesContainers(t *testing.T) {
	f := newFixture(t, time.Minute)
	s := f.spec(t, nil, "sleep", "100")
	f.startDetached(t, s)
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-f.first.done
	st, err := f.drv.State(s.ID)
	if err != nil || st.Status != "running" {
		t.Fatalf("container after SIGTERM: %+v %v", st, err)
	}
}

func TestSlowClientDropped(t *testing.T) {
	f := newFixture(t, time.Minute)
	s := f.spec(t, nil, "sh", "-c", "read x; yes | head -c 50000000; echo done >&2")
	s.OpenStdin = true
	in, inw := io.Pipe()
	defer inw.Close()
	stuck := &blockingWriter{release: make(chan struct{})}
	slow, err := f.client.Start(context.Background(), s, &Attach{Stdout: stuck})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	var errb syncBuffer
	fast, err := f.client.Attach(context.Background(), s.ID, &Attach{Stdin: in, Stdout: io.Discard, Stderr: &errb})
	if err != nil {
		t.Fatal(err)
	}
	inw.Write([]byte("go\n"))
	// The container and the other client finish although one client
	// stopped reading.
	if res := waitSession(t, fast); res.Exit.Code != 0 || !strings.Contains(errb.String(), "done") {
		t.Fatalf("result %+v stderr %q", res, errb.String())
	}
	close(stuck.release)
	if _, err := slow.Wait(); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("slow client: %v, want dropped (ErrUnavailable)", err)
	}
}

// blockingWriter blocks every Write until release is closed.
type blockingWriter struct{ release chan struct{} }

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

func TestDetacher(t *testing.T) {
	for _, tc := range []struct {
		keys   string
		chunks []string
		out    string
		detach bool
	}{
		{"\x10\x11", []string{"ab\x10\x11cd"}, "ab", true},
		{"\x10\x11", []string{"ab\x10", "\x11"}, "ab", true},
		{"\x10\x11", []string{"ab\x10", "x"}, "ab\x10x", false},
		{"\x10\x11", []string{"\x10\x10\x11"}, "\x10", true},
		{"q", []string{"abq"}, "ab", true},
		{"abc", []string{"ababc"}, "ab", true},
	} {
		d := &detacher{keys: []byte(tc.keys)}
		var out []byte
		detached := false
		for _, c := range tc.chunks {
			p, det := d.filter([]byte(c))
			out = append(out, p...)
			if det {
				detached = true
				break
			}
		}
		if string(out) != tc.out || detached != tc.detach {
			t.Errorf("keys %q chunks %q: out %q detach %v; want %q %v", tc.keys, tc.chunks, out, detached, tc.out, tc.detach)
		}
	}
}

// TestClientRetriesClosingMonitor: a monitor that exits idle drops a
// connection it accepted without answering; the client retries, spawning
// a new monitor.
func TestClientRetriesClosingMonitor(t *testing.T) {
	f := newFixture(t, 20*time.Millisecond)
	<-f.first.done
	sock := filepath.Join(f.dir, "monitor.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	dropped := make(chan struct{})
	go func() {
		defer close(dropped)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		ln.Close() // unlinks the socket, as the exiting monitor does
		c.Close()
	}()
	var out syncBuffer
	sess, err := f.client.Start(context.Background(), f.spec(t, nil, "echo", "retried"), &Attach{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	<-dropped
	if res := waitSession(t, sess); res.Exit.Code != 0 || out.String() != "retried\n" {
		t.Fatalf("result %+v output %q", res, out.String())
	}
}
