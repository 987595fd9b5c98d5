//go:build linux

package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// freezeTimeout bounds how long Freeze/Thaw wait for cgroup.events to
// confirm: a task stuck in the kernel can delay freezing indefinitely.
const freezeTimeout = 10 * time.Second

// Freeze writes 1 to cgroup.freeze and waits for "frozen 1" in
// cgroup.events: the write only starts freezing. The wait sleeps on inotify
// (the kernel signals every cgroup.events change) rather than polling.
func (m *fs2Manager) Freeze() error { return setFrozen(m.dir, true) }

// Thaw writes 0 to cgroup.freeze and waits for "frozen 0".
func (m *fs2Manager) Thaw() error { return setFrozen(m.dir, false) }

// Frozen reports "frozen 1" in cgroup.events.
func (m *fs2Manager) Frozen() (bool, error) {
	ev, err := readKeyValues(m.dir, "cgroup.events")
	if err != nil {
		return false, err
	}
	return ev["frozen"] == 1, nil
}

func setFrozen(dir string, frozen bool) error {
	want := uint64(0)
	if frozen {
		want = 1
	}
	if err := writeFile(dir, "cgroup.freeze", fmt.Sprint(want)); err != nil {
		return err
	}
	err := waitEvent(dir, "frozen", want, freezeTimeout)
	if err != nil && frozen {
		_ = writeFile(dir, "cgroup.freeze", "0") // never leave it half frozen
	}
	return err
}

// waitEvent waits until key in dir/cgroup.events has value want.
func waitEvent(dir, key string, want uint64, timeout time.Duration) error {
	events := filepath.Join(dir, "cgroup.events")
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("waiting for %s: inotify_init1: %w", events, err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, events, unix.IN_MODIFY); err != nil {
		return fmt.Errorf("waiting for %s: %w", events, &os.PathError{Op: "inotify_add_watch", Path: events, Err: err})
	}
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 4096)
	for {
		// Read after arming the watch so no change is missed.
		ev, err := readKeyValues(dir, "cgroup.events")
		if err != nil {
			return err
		}
		if v, ok := ev[key]; ok && v == want {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("waiting for %q %d in %s: timed out after %s", key, want, events, timeout)
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, int(left.Milliseconds())+1); err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("waiting for %s: poll: %w", events, err)
		}
		for { // drain
			if n, err := unix.Read(fd, buf); n <= 0 || err != nil {
				break
			}
		}
	}
}
