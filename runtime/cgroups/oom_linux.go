//go:build linux

package cgroups

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

var (
	_ OOMNotifier = (*fs1Manager)(nil)
	_ OOMNotifier = (*fs2Manager)(nil)
)

// OOMEvents follows the v1 memory controller's notification protocol
// (Documentation/admin-guide/cgroup-v1/memory.rst, "Memory thresholds" /
// "OOM Control"): an eventfd and an open memory.oom_control are registered
// by writing "<eventfd> <oom_control fd>" to cgroup.event_control; the
// eventfd then counts OOM events. The kernel also signals it when the
// cgroup is removed, so each wakeup checks whether the directory is still
// there before reporting an OOM.
func (m *fs1Manager) OOMEvents(ctx context.Context) (<-chan struct{}, error) {
	dir, ok := m.paths["memory"]
	if !ok {
		return nil, fmt.Errorf("watching OOM events: no memory hierarchy is mounted: %w", ErrNotAvailable)
	}
	ctl, err := os.Open(filepath.Join(dir, "memory.oom_control"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("watching OOM events of %s: %w", dir, ErrNotAvailable)
		}
		return nil, fmt.Errorf("watching OOM events of %s: %w", dir, err)
	}
	// Non-blocking so that os.NewFile hands it to the runtime poller: a
	// Close from the ctx goroutine then wakes the pending Read.
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		ctl.Close()
		return nil, fmt.Errorf("watching OOM events of %s: eventfd: %w", dir, err)
	}
	ev := os.NewFile(uintptr(efd), "oom-eventfd")
	reg := strconv.Itoa(efd) + " " + strconv.Itoa(int(ctl.Fd()))
	err = writeFile(dir, "cgroup.event_control", reg)
	// The kernel looks the oom_control fd up only while registering; the
	// eventfd is what it keeps.
	ctl.Close()
	if err != nil {
		ev.Close()
		return nil, fmt.Errorf("watching OOM events: %w", err)
	}
	ch := make(chan struct{})
	stop := watchCtx(ctx, ev)
	go func() {
		defer close(ch)
		defer stop()
		buf := make([]byte, 8)
		for {
			if _, err := ev.Read(buf); err != nil {
				return // closed by ctx, or the eventfd broke
			}
			if _, err := os.Stat(dir); err != nil {
				return // rmdir also signals the eventfd
			}
			// The eventfd holds the number of OOMs since the last read.
			for n := binary.NativeEndian.Uint64(buf); n > 0; n-- {
				if !send(ctx, ch) {
					return
				}
			}
		}
	}()
	return ch, nil
}

// OOMEvents watches memory.events with inotify (the kernel calls
// kernfs_notify on it when a counter changes) and reports each rise of its
// oom_kill counter. Other counters (high, max, oom) change the file too,
// hence the comparison. The channel closes when the file goes away with
// the cgroup.
func (m *fs2Manager) OOMEvents(ctx context.Context) (<-chan struct{}, error) {
	return watchOOMV2(ctx, m.dir)
}

func watchOOMV2(ctx context.Context, dir string) (<-chan struct{}, error) {
	p := filepath.Join(dir, "memory.events")
	ifd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watching OOM events of %s: inotify: %w", dir, err)
	}
	in := os.NewFile(uintptr(ifd), "oom-inotify")
	if _, err := unix.InotifyAddWatch(ifd, p, unix.IN_MODIFY|unix.IN_DELETE_SELF); err != nil {
		in.Close()
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("watching OOM events: no %s: %w", p, ErrNotAvailable)
		}
		return nil, fmt.Errorf("watching OOM events: inotify on %s: %w", p, err)
	}
	// Read the baseline only after the watch exists, so a kill in between
	// is not lost.
	last, err := oomKills(dir)
	if err != nil {
		in.Close()
		return nil, fmt.Errorf("watching OOM events: %w", err)
	}
	ch := make(chan struct{})
	stop := watchCtx(ctx, in)
	go func() {
		defer close(ch)
		defer stop()
		buf := make([]byte, 4096)
		for {
			if _, err := in.Read(buf); err != nil {
				return
			}
			// Whatever the events were (modify, delete_self, ignored), the
			// file's content decides; gone means the cgroup is.
			n, err := oomKills(dir)
			if err != nil {
				return
			}
			// The kernel's counter only grows; a smaller value is a read
			// of a file being rewritten (fake trees), not a reset.
			for ; last < n; last++ {
				if !send(ctx, ch) {
					return
				}
			}
		}
	}()
	return ch, nil
}

func oomKills(dir string) (uint64, error) {
	ev, err := readKeyValues(dir, "memory.events")
	if err != nil {
		return 0, err
	}
	return ev["oom_kill"], nil
}

// watchCtx closes f when ctx ends, which wakes a Read blocked on it; the
// returned stop ends the wait and closes f if ctx has not.
func watchCtx(ctx context.Context, f *os.File) (stop func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		f.Close()
	}()
	return func() { close(done) }
}

// send delivers one event unless ctx ends first.
func send(ctx context.Context, ch chan<- struct{}) bool {
	select {
	case ch <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}
