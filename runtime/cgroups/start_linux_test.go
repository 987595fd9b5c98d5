package cgroups

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
)

// sleepStarter is a StartFunc starting `sleep` (killed by t's cleanup) in
// the cgroup2 directory it is given, that checks, before returning, that
// the child is already in every directory of m: born there, not moved.
type sleepStarter struct {
	t        *testing.T
	m        Manager
	fds      []int // cgroupFD of each call
	refuseFD bool  // fail every call that gets a cgroup2 fd
}

func (s *sleepStarter) start(cgroupFD int) (int, error) {
	s.fds = append(s.fds, cgroupFD)
	if s.refuseFD && cgroupFD >= 0 {
		return 0, syscall.EOPNOTSUPP
	}
	cmd := exec.Command("sleep", "1000")
	if cgroupFD >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cgroupFD}
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	s.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	pid := cmd.Process.Pid
	for k, dir := range s.m.Paths() {
		in := inProcs(s.t, dir, pid)
		if k == "" && s.refuseFD {
			continue // the fallback moves it there afterwards
		}
		if !in {
			s.t.Errorf("child %d not born in %s (%q)", pid, dir, k)
		}
	}
	return pid, nil
}

// inProcs reports whether pid is listed in dir/cgroup.procs.
func inProcs(t *testing.T, dir string, pid int) bool {
	t.Helper()
	return slices.Contains(strings.Fields(readT(t, filepath.Join(dir, "cgroup.procs"))), strconv.Itoa(pid))
}

// checkOnlyChild: after ApplyStart the child is in every directory and no
// thread of ours was left behind.
func checkOnlyChild(t *testing.T, m Manager, pid int) {
	t.Helper()
	for k, dir := range m.Paths() {
		if !inProcs(t, dir, pid) {
			t.Errorf("pid %d not in %s (%q)", pid, dir, k)
		}
		if inProcs(t, dir, os.Getpid()) {
			t.Errorf("a thread of the test process is still in %s (%q)", dir, k)
		}
	}
	if pids, err := m.Pids(); err != nil || !slices.Equal(pids, []int{pid}) {
		t.Errorf("Pids() = %v, %v; want [%d]", pids, err, pid)
	}
}

// TestHostApplyStart: on this host's layout (hybrid here: v1 hierarchies
// entered by the forking thread, the cgroup2 directory by
// CLONE_INTO_CGROUP), the child is born in its cgroup everywhere.
func TestHostApplyStart(t *testing.T) {
	m := hostCgroup(t)
	mode, err := DetectMode()
	if err != nil {
		t.Fatal(err)
	}
	s := &sleepStarter{t: t, m: m}
	if err := m.ApplyStart(s.start); err != nil {
		t.Fatal(err)
	}
	if len(s.fds) != 1 || (mode != Legacy) != (s.fds[0] >= 0) {
		t.Errorf("start called with cgroup fds %v on a %s host", s.fds, mode)
	}
	pids, _ := m.Pids()
	if len(pids) == 1 {
		checkOnlyChild(t, m, pids[0])
	} else {
		t.Errorf("Pids() = %v; want the child alone", pids)
	}
}

// TestHostApplyStartV2 drives the pure cgroup2 manager (on this hybrid host,
// the unified mount as a v2 root): CLONE_INTO_CGROUP alone.
func TestHostApplyStartV2(t *testing.T) {
	m := hostV2Cgroup(t)
	s := &sleepStarter{t: t, m: m}
	if err := m.ApplyStart(s.start); err != nil {
		t.Fatal(err)
	}
	if len(s.fds) != 1 || s.fds[0] < 0 {
		t.Fatalf("start called with cgroup fds %v; want one fd", s.fds)
	}
	pids, _ := m.Pids()
	if len(pids) != 1 {
		t.Fatalf("Pids() = %v; want the child alone", pids)
	}
	checkOnlyChild(t, m, pids[0])
}

// TestHostApplyStartFallback: where CLONE_INTO_CGROUP is refused, start is
// called again without it and the child is moved in afterwards.
func TestHostApplyStartFallback(t *testing.T) {
	m := hostV2Cgroup(t)
	s := &sleepStarter{t: t, m: m, refuseFD: true}
	if err := m.ApplyStart(s.start); err != nil {
		t.Fatal(err)
	}
	if len(s.fds) != 2 || s.fds[0] < 0 || s.fds[1] != -1 {
		t.Fatalf("start called with cgroup fds %v; want an fd, then -1", s.fds)
	}
	pids, _ := m.Pids()
	if len(pids) != 1 {
		t.Fatalf("Pids() = %v; want the child alone", pids)
	}
	checkOnlyChild(t, m, pids[0])
}

// TestHostApplyStartError: start's error comes back as is, and the
// directories ApplyStart made are gone.
func TestHostApplyStartError(t *testing.T) {
	m := hostCgroup(t)
	boom := errors.New("boom")
	err := m.ApplyStart(func(int) (int, error) { return 0, boom })
	if err != boom {
		t.Fatalf("ApplyStart = %v; want start's error as is", err)
	}
	for k, dir := range m.Paths() {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s (%q) left behind: %v", dir, k, err)
		}
	}
}

// hostV2Cgroup is hostCgroup for a pure cgroup2 manager on the host's
// cgroup2 mount.
func hostV2Cgroup(t *testing.T) Manager {
	t.Helper()
	testbundle.RequireRoot(t)
	root := cgroup2Root(t)
	parent := fmt.Sprintf("/onggi-test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "_"))
	m, err := New(parent+"/c", "c", WithMountRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Errorf("Destroy: %v", err)
		}
		_ = os.Remove(filepath.Join(root, parent))
	})
	return m
}

// TestHostApplyStartLoaded is the exec case: a Manager from Load, which
// knows only the saved paths, still starts the process inside.
func TestHostApplyStartLoaded(t *testing.T) {
	created := hostCgroup(t)
	s0 := &sleepStarter{t: t, m: created}
	if err := created.ApplyStart(s0.start); err != nil {
		t.Fatal(err)
	}
	m, err := Load(created.Paths())
	if err != nil {
		t.Fatal(err)
	}
	s := &sleepStarter{t: t, m: m}
	if err := m.ApplyStart(s.start); err != nil {
		t.Fatal(err)
	}
	pids, err := m.Pids()
	if err != nil || len(pids) != 2 {
		t.Fatalf("Pids() = %v, %v; want both children", pids, err)
	}
	for _, dir := range m.Paths() {
		if inProcs(t, dir, os.Getpid()) {
			t.Errorf("a thread of the test process is still in %s", dir)
		}
	}
}
