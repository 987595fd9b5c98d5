//go:build linux

package cgroups

import (
	"path/filepath"
	goruntime "runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// Starting a process inside its cgroup.
//
// Moving a process by writing its pid to cgroup.procs takes the kernel's
// global cgroup_threadgroup_rwsem for writing, and the first writer after a
// quiet spell waits for an RCU grace period: 5–15 ms on the 2-core VM this
// was measured on, the largest single cost of starting a container. A
// process born in the cgroup needs no such write:
//
//   - v1 hierarchies: a child inherits the cgroups of the thread that forks
//     it, and a thread that moves only itself (writing "0" to a v1 tasks
//     file) takes no global lock. So start runs on a locked OS thread that
//     first enters the container's cgroup in each hierarchy, and goes back
//     to where it was once start returns.
//   - cgroup2 (pure v2, or the unified directory of a hybrid host): clone3's
//     CLONE_INTO_CGROUP puts the child in the directory given by fd.
//
// Whatever cannot be done that way (a kernel or seccomp profile refusing
// clone3 with CLONE_INTO_CGROUP, a hierarchy in which our own cgroup is not
// visible) falls back to Apply's cgroup.procs write once start returns.

// ApplyStart implements Manager.
func (m *fs1Manager) ApplyStart(start StartFunc) (retErr error) {
	created, err := m.create()
	defer func() {
		if retErr != nil {
			removeCreated(created)
		}
	}()
	if err != nil {
		return err
	}
	var v1 []string
	for _, dir := range m.dirs() {
		if dir != m.paths[""] {
			v1 = append(v1, dir)
		}
	}
	var late []string
	pid, err := m.onThreadIn(v1, &late, func() (int, error) {
		return startInV2(m.paths[""], start, &late)
	})
	if err != nil {
		return err
	}
	return movePid(late, pid)
}

// ApplyStart implements Manager.
func (m *fs2Manager) ApplyStart(start StartFunc) (retErr error) {
	made, err := ensureV2(m.cfg.root, m.dir)
	defer func() {
		if retErr != nil {
			removeCreated(made)
		}
	}()
	if err != nil {
		return err
	}
	var late []string
	pid, err := startInV2(m.dir, start, &late)
	if err != nil {
		return err
	}
	return movePid(late, pid)
}

// startInV2 calls start with an fd of the cgroup2 directory dir (none if dir
// is ""). If start fails with it, start is tried once more without, and dir
// is appended to late for a cgroup.procs write.
func startInV2(dir string, start StartFunc, late *[]string) (int, error) {
	if dir == "" {
		return start(-1)
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err == nil {
		pid, err := start(fd)
		unix.Close(fd)
		if err == nil {
			return pid, nil
		}
	}
	*late = append(*late, dir)
	return start(-1)
}

// onThreadIn runs fn on a locked OS thread that has moved, alone, into each
// v1 directory of dirs, and moves it back afterwards. Directories it could
// not enter are appended to late. A thread that cannot go back is not
// unlocked, so it exits with its goroutine instead of serving others.
// Kernel objects the thread allocates meanwhile (mostly the child's own)
// are charged to the container's memory cgroup, as the child's would be.
func (m *fs1Manager) onThreadIn(dirs []string, late *[]string, fn func() (int, error)) (int, error) {
	type result struct {
		pid  int
		late []string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		goruntime.LockOSThread()
		var r result
		homes := m.threadHomes()
		var entered []string
		for _, dir := range dirs {
			home, ok := homes[dir]
			switch {
			case ok && home == dir: // already there; the child inherits it
			case ok && writeFile(dir, "tasks", "0") == nil:
				entered = append(entered, dir)
			default:
				r.late = append(r.late, dir)
			}
		}
		r.pid, r.err = fn()
		back := true
		for _, dir := range entered {
			if writeFile(homes[dir], "tasks", "0") != nil {
				back = false
			}
		}
		if back {
			goruntime.UnlockOSThread()
		}
		ch <- r
	}()
	r := <-ch
	*late = append(*late, r.late...)
	return r.pid, r.err
}

// threadHomes maps each v1 directory of m to the calling thread's own
// cgroup directory in the same hierarchy, for the hierarchies where that is
// visible (mounted at or above it).
func (m *fs1Manager) threadHomes() map[string]string {
	homes := map[string]string{}
	hier := m.hier
	if hier == nil {
		hier = m.loadedHierarchies()
	}
	own, err := parseCgroupFile(m.cfg.threadCgroup)
	if err != nil {
		return homes
	}
	for dir, h := range hier {
		p, ok := own[h.Controllers[0]]
		if !ok || p == "" {
			continue
		}
		if home, err := inHierarchy(h.Mountpoint, h.Root, p); err == nil {
			homes[dir] = home
		}
	}
	return homes
}

// loadedHierarchies finds the hierarchy of each directory of a Manager made
// by Load (exec), which records only paths: the mount it lies under.
func (m *fs1Manager) loadedHierarchies() map[string]Hierarchy {
	hs, err := m.cfg.v1Hierarchies()
	if err != nil {
		return nil
	}
	hier := map[string]Hierarchy{}
	for _, dir := range m.dirs() {
		for _, h := range hs {
			if rel, err := filepath.Rel(h.Mountpoint, dir); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
				hier[dir] = h
				break
			}
		}
	}
	return hier
}
