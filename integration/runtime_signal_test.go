package integration

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestRuntimeRunForwardsSignals: a signal to a foreground run reaches the
// container's process, and run exits with the container's status.
func TestRuntimeRunForwardsSignals(t *testing.T) {
	testbundle.RequireRoot(t)
	c := newRuntimeCLI(t, "onggi-runc")
	bundle := testbundle.Bundle(t, nil, "sh", "-c", `trap "echo got-term; exit 7" TERM; echo ready; sleep 1000 & wait`)
	id := uniqueID("sig")
	cmd := c.command("run", "--bundle", bundle, id)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("first line %q, want ready", lines.Text())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Errorf("run after SIGTERM: %v, want exit 7", err)
	}
	if strings.Join(rest, "\n") != "got-term" {
		t.Errorf("container output after SIGTERM: %q", rest)
	}
	if r := c.run("state", id); r.code != 1 {
		t.Errorf("run left the container: %v", r)
	}
}

// TestRuntimeSystemdCgroupFlag: --systemd-cgroup makes cgroupsPath read as
// slice:prefix:name, as runc does, and without it that syntax is refused.
func TestRuntimeSystemdCgroupFlag(t *testing.T) {
	testbundle.RequireRoot(t)
	c := newRuntimeCLI(t, "onggi-runc")
	id := uniqueID("sd")
	const slice = "onggitest.slice"
	// delete removes the container's scope; the slice (created as the
	// scope's parent, as systemd would) is the test's own to remove.
	t.Cleanup(func() {
		tops, _ := filepath.Glob("/sys/fs/cgroup/*/" + slice)
		for _, top := range append(tops, "/sys/fs/cgroup/"+slice) {
			removeCgroupTree(t, top) // docker_test.go
		}
	})
	bundle := testbundle.Bundle(t, func(s *specs.Spec) {
		s.Linux.CgroupsPath = slice + ":onggi:" + id
	}, "sleep", "1000")
	if r := c.run("run", "--detach", "--bundle", bundle, id); r.code != 1 || !strings.Contains(r.stderr, "cgroupsPath") {
		t.Errorf("systemd cgroupsPath without --systemd-cgroup: %v", r)
	}
	c.ok("--systemd-cgroup", "run", "--detach", "--bundle", bundle, id)
	pid := c.state(id).Pid
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil || !strings.Contains(string(data), slice+"/onggi-"+id+".scope") {
		t.Errorf("container cgroups %q (%v), want %s/onggi-%s.scope", data, err, slice, id)
	}
	c.ok("--systemd-cgroup", "delete", "--force", id)
}
