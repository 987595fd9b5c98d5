package cgroups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// oomWait bounds the waits below; it is a safety net against a hung test,
// not a timing assertion.
const oomWait = 30 * time.Second

// TestHostOOMEvents drives a real OOM kill on this host (v1 memory
// controller on legacy/hybrid hosts, memory.events on unified ones) and
// expects one notification for it, then the channel's close on rmdir.
func TestHostOOMEvents(t *testing.T) {
	testbundle.RequireRoot(t)
	m, err := New(fmt.Sprintf("/onggi-oomtest-%d", os.Getpid()), "c")
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: kill the hog, stop watching,
	// then remove the cgroup.
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	// The shell waits for a line on stdin so that it only starts eating
	// memory once it is in the cgroup, limited and watched.
	cmd := exec.Command("/bin/sh", "-c", "read go; x=a; while :; do x=$x$x; done")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	limit := int64(16 << 20)
	mem := &specs.LinuxMemory{Limit: &limit}
	// Without a memory+swap limit equal to the limit, the hog would swap
	// instead of being killed.
	dir := m.Paths()["memory"]
	if dir == "" {
		dir = m.Paths()[""]
	}
	if exists(dir, "memory.memsw.limit_in_bytes") || exists(dir, "memory.swap.max") {
		mem.Swap = &limit
	}
	if err := m.Set(&specs.LinuxResources{Memory: mem}); err != nil {
		t.Fatal(err)
	}
	n, ok := m.(OOMNotifier)
	if !ok {
		t.Fatalf("%T does not implement OOMNotifier", m)
	}
	ch, err := n.OOMEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatal("OOM channel closed before any event")
		}
	case <-time.After(oomWait):
		t.Fatalf("no OOM event within %v", oomWait)
	}
	// The kernel's own count confirms the event was an OOM kill, not a
	// spurious wakeup. v1 notifies before it picks and kills a victim, so
	// the count may lag the event a little: poll.
	ctl := "memory.oom_control"
	if !exists(dir, ctl) {
		ctl = "memory.events"
	}
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		kv, err := readKeyValues(dir, ctl)
		if err != nil {
			t.Fatal(err)
		}
		if kv["oom_kill"] > 0 {
			break
		}
		if time.Since(start) > oomWait {
			t.Fatalf("%s: oom_kill still 0 %v after the OOM event", filepath.Join(dir, ctl), oomWait)
		}
	}

	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	// Removal wakes the watcher too; it must close the channel rather
	// than report it as an OOM. Events queued before it are drained.
	deadline := time.After(oomWait)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("OOM channel still open %v after the cgroup was removed", oomWait)
		}
	}
}

// fakeV2OOM is a fake cgroup2 cgroup with a memory.events file, watched.
func fakeV2OOM(t *testing.T, ctx context.Context) (events string, ch <-chan struct{}) {
	t.Helper()
	f := newFakeV2(t, "memory")
	dir := f.makeV2Cgroup(t, f.root, "c", "memory")
	events = filepath.Join(dir, "memory.events")
	writeT(t, events, "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n")
	m, err := Load(map[string]string{"": dir}, f.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	ch, err = m.(OOMNotifier).OOMEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return events, ch
}

// recv waits for one event, failing if the channel closes or nothing comes.
func recv(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatal("channel closed; want an event")
		}
	case <-time.After(oomWait):
		t.Fatalf("no event within %v", oomWait)
	}
}

// waitClosed fails unless ch closes without delivering another event.
func waitClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("got an event; want the channel closed")
		}
	case <-time.After(oomWait):
		t.Fatalf("channel not closed within %v", oomWait)
	}
}

func TestFakeV2OOMEvents(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	events, ch := fakeV2OOM(t, ctx)

	// Other counters change the file too: no event for them. Checked by
	// counting: the events that follow must be exactly the oom_kill rises.
	writeT(t, events, "low 0\nhigh 2\nmax 5\noom 1\noom_kill 0\n")
	writeT(t, events, "low 0\nhigh 2\nmax 6\noom 2\noom_kill 1\n")
	recv(t, ch)
	// A rise by two is two kills.
	writeT(t, events, "low 0\nhigh 2\nmax 9\noom 4\noom_kill 3\n")
	recv(t, ch)
	recv(t, ch)
	writeT(t, events, "low 0\nhigh 3\nmax 9\noom 4\noom_kill 3\n")
	// The cgroup's removal takes memory.events with it.
	if err := os.Remove(events); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, ch)
}

func TestFakeV2OOMEventsCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	_, ch := fakeV2OOM(t, ctx)
	cancel()
	waitClosed(t, ch)
}

func TestFakeV2OOMEventsNoMemory(t *testing.T) {
	f := newFakeV2(t, "pids")
	dir := f.makeV2Cgroup(t, f.root, "c", "pids")
	m, err := Load(map[string]string{"": dir}, f.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.(OOMNotifier).OOMEvents(context.Background()); !errors.Is(err, ErrNotAvailable) {
		t.Fatalf("OOMEvents without memory.events: err = %v; want ErrNotAvailable", err)
	}
}
