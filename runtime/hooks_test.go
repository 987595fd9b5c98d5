package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestHooksOrderAndNamespaces records each hook kind, its state status and
// whether it ran in the container's mount namespace.
func TestHooksOrderAndNamespaces(t *testing.T) {
	testbundle.RequireRoot(t)
	logf := filepath.Join(t.TempDir(), "hooks.log")
	script := filepath.Join(t.TempDir(), "hook.sh")
	// The hook runs /bin/busybox from the host; it logs kind, the state's
	// status and its mount namespace.
	body := "#!/bin/sh\nread -r state\nstatus=$(echo \"$state\" | sed 's/.*\"status\":\"\\([a-z]*\\)\".*/\\1/')\n" +
		"echo \"$1 $status $(readlink /proc/self/ns/mnt)\" >> $2\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	hook := func(kind string) []specs.Hook {
		return []specs.Hook{{Path: script, Args: []string{"hook", kind, logf}}}
	}
	bundle := testbundle.Bundle(t, func(s *specs.Spec) {
		s.Hooks = &specs.Hooks{Prestart: hook("prestart"), CreateRuntime: hook("createRuntime"),
			CreateContainer: hook("createContainer"), Poststart: hook("poststart"), Poststop: hook("poststop"),
			// startContainer's path and files resolve in the container.
			StartContainer: []specs.Hook{{Path: "/hook.sh", Args: []string{"hook", "startContainer", "/hook.log"}}}}
	}, "true")
	if err := os.WriteFile(filepath.Join(bundle, "rootfs/hook.sh"), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	res := runBundle(t, newRuntime(t), bundle)
	if res.code != 0 {
		t.Fatalf("run: %+v", res)
	}
	data, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	inside, err := os.ReadFile(filepath.Join(bundle, "rootfs/hook.log"))
	if err != nil {
		t.Fatal(err)
	}
	// Splice the startContainer line in at its place in the lifecycle.
	before, after, _ := strings.Cut(string(data), "poststart")
	data = []byte(before + string(inside) + "poststart" + after)
	hostNS, _ := os.Readlink("/proc/self/ns/mnt")
	want := []struct {
		kind, status string
		inContainer  bool
	}{
		{"prestart", "creating", false}, {"createRuntime", "creating", false},
		{"createContainer", "creating", true}, {"startContainer", "running", true},
		{"poststart", "running", false}, {"poststop", "stopped", false},
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("hook log:\n%s", data)
	}
	for i, w := range want {
		f := strings.Fields(lines[i])
		if len(f) != 3 || f[0] != w.kind || f[1] != w.status || (f[2] != hostNS) != w.inContainer {
			t.Errorf("hook %d: %q, want %s %s inContainer=%v (host ns %s)", i, lines[i], w.kind, w.status, w.inContainer, hostNS)
		}
	}
}

// TestProcessAttributes checks capabilities, noNewPrivileges, rlimits,
// umask and oomScoreAdj as the container process sees them. (Root gets
// its whole permitted set as effective at execve: the kernel does that.)
func TestProcessAttributes(t *testing.T) {
	adj := 500
	var umask uint32 = 0o027
	res := run(t, func(s *specs.Spec) {
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL", "CAP_CHOWN"},
			Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL", "CAP_CHOWN"},
			Inheritable: []string{"CAP_KILL"}, Ambient: []string{"CAP_KILL"}}
		s.Process.OOMScoreAdj = &adj
		s.Process.User.Umask = &umask
		s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 321, Hard: 654}}
	}, "sh", "-c", "grep -E '^(Cap|NoNewPrivs)' /proc/self/status; cat /proc/self/oom_score_adj; umask; ulimit -n; ulimit -Hn")
	want := "CapInh:\t0000000000000020\nCapPrm:\t0000000000000021\nCapEff:\t0000000000000021\n" +
		"CapBnd:\t0000000000000021\nCapAmb:\t0000000000000020\nNoNewPrivs:\t1\n500\n0027\n321\n654\n"
	if res.out != want {
		t.Fatalf("got\n%s\nwant\n%s\n(%+v)", res.out, want, res)
	}
}

// TestStartContainerHookFailure: a failing startContainer hook fails Start
// with the hook's error, and the process never runs.
func TestStartContainerHookFailure(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	bundle := testbundle.Bundle(t, func(s *specs.Spec) {
		s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/false"}}}
	}, "touch", "/ran")
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Start()
	if err == nil || !strings.Contains(err.Error(), "startContainer hook #0") {
		t.Fatalf("start: %v", err)
	}
	if code, _ := c.Wait(); code != 1 {
		t.Fatalf("init exit %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join(bundle, "rootfs/ran")); err == nil {
		t.Fatal("the process ran despite the failed hook")
	}
}
