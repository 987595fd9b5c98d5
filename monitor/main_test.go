package monitor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/internal/testbundle"
	"github.com/onggi/onggi/reexec"
	"github.com/onggi/onggi/runtime"
	"github.com/onggi/onggi/runtime/driver"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestMain lets the test binary act as onggi's container init.
func TestMain(m *testing.M) {
	runtime.RegisterHelpers(reexec.Register)
	if reexec.Init() {
		return
	}
	os.Exit(m.Run())
}

// recorder is the engine's side of Hooks for tests: it records every call
// and lets a test wait for one.
type recorder struct {
	mu      sync.Mutex
	started map[string]int
	exits   map[string][]Exit
	healths map[string][]ctypes.Health
	done    map[string]chan struct{}
	changed chan struct{} // closed and replaced on every call
	restart func(id string, n int) bool
}

func newRecorder() *recorder {
	return &recorder{started: map[string]int{}, exits: map[string][]Exit{},
		healths: map[string][]ctypes.Health{}, done: map[string]chan struct{}{}, changed: make(chan struct{})}
}

func (r *recorder) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) hooks() Hooks {
	return Hooks{
		Started: func(id string, pid int, at time.Time) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.started[id]++
			r.notify()
			return nil
		},
		Exited: func(id string, ex Exit) bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.exits[id] = append(r.exits[id], ex)
			r.notify()
			return r.restart != nil && r.restart(id, len(r.exits[id]))
		},
		BeforeRestart: func(id string) bool { return true },
		Health: func(id string, h ctypes.Health) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.healths[id] = append(r.healths[id], h)
			r.notify()
			return nil
		},
		Done: func(id string) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.doneCh(id)
			close(r.done[id])
			r.notify()
		},
	}
}

// doneCh returns id's Done channel; r.mu is held.
func (r *recorder) doneCh(id string) chan struct{} {
	if r.done[id] == nil {
		r.done[id] = make(chan struct{})
	}
	return r.done[id]
}

// waitDone blocks until Done was called for id.
func (r *recorder) waitDone(t *testing.T, id string) {
	t.Helper()
	r.mu.Lock()
	ch := r.doneCh(id)
	r.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("Done(%s) was not called", id)
	}
}

// waitFor blocks until cond (called with r.mu held) holds.
func (r *recorder) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		r.mu.Lock()
		ok, ch := cond(), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// fixture is a monitor served in the test process.
type fixture struct {
	dir, rtRoot string
	rec         *recorder
	drv         driver.Driver
	client      *Client
	first       *served
}

// shortDir makes a temporary directory with a short path: socket addresses
// are limited to 107 bytes.
func shortDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "mon")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// newFixture serves a monitor until the test ends; containers left running
// are force-deleted.
func newFixture(t *testing.T, idle time.Duration) *fixture {
	t.Helper()
	testbundle.RequireRoot(t)
	f := &fixture{dir: shortDir(t), rtRoot: t.TempDir(), rec: newRecorder()}
	var err error
	if f.drv, err = driver.Onggi(f.rtRoot); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rt, err := runtime.New(f.rtRoot)
		if err != nil {
			return
		}
		cs, _ := rt.List()
		for _, c := range cs {
			if err := c.Delete(true); err != nil {
				t.Errorf("cleanup: deleting %s: %v", c.ID(), err)
			}
		}
	})
	f.first = f.serve(t, idle)
	f.client = NewClient(f.dir, func() error { f.serve(t, idle); return nil })
	return f
}

// served is one Serve call running in the test process.
type served struct {
	done chan struct{}
	err  error
}

// serve starts Serve in a goroutine and returns once it listens (or
// returned, when another monitor holds the lock).
func (f *fixture) serve(t *testing.T, idle time.Duration) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	s := &served{done: make(chan struct{})}
	cfg := Config{Dir: f.dir, Hooks: f.rec.hooks(), IdleExit: idle, Ready: wr, Logf: testLogf(t),
		Driver: func(rt, root string) (driver.Driver, error) {
			if rt != "" {
				return driver.External(rt, root)
			}
			return f.drv, nil
		}}
	go func() {
		s.err = Serve(ctx, cfg)
		wr.Close() // as the process exit would: the spawner stops waiting
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
		if s.err != nil {
			t.Errorf("serve: %v", s.err)
		}
	})
	_, _ = rd.Read(make([]byte, 1)) // a byte when ready, EOF when Serve returned
	return s
}

func uniqueID(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "onggi-mon-" + strings.NewReplacer("/", "-").Replace(t.Name()) + "-" + hex.EncodeToString(b)
}

// spec returns a Spec for a new busybox bundle running args.
func (f *fixture) spec(t *testing.T, mutate func(*specs.Spec), args ...string) Spec {
	return Spec{ID: uniqueID(t), Bundle: testbundle.Bundle(t, mutate, args...)}
}

// testLogf logs through t until the test's cleanup: container goroutines
// may outlive it, and t.Logf after the test panics.
func testLogf(t *testing.T) func(string, ...any) {
	var mu sync.Mutex
	over := false
	t.Cleanup(func() { mu.Lock(); over = true; mu.Unlock() })
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !over {
			t.Logf(format, args...)
		}
	}
}
