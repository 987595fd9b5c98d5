package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onggi/onggi/internal/testbundle"
)

// startContainerd runs a private containerd (no CRI) with its state in dir
// and returns a ctr command builder for it. It is stopped at cleanup.
func startContainerd(t *testing.T, dir string) func(args ...string) *exec.Cmd {
	t.Helper()
	sock := filepath.Join(dir, "containerd.sock")
	config := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = %q\n",
		filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock)
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	daemon := exec.Command("containerd", "--config", cfgPath)
	daemon.Stdout, daemon.Stderr = tempFile(t), tempFile(t)
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		daemon.Process.Signal(os.Interrupt)
		daemon.Wait()
	})
	ctr := func(args ...string) *exec.Cmd {
		return exec.Command("ctr", append([]string{"--address", sock, "--timeout", "30s"}, args...)...)
	}
	// containerd has no readiness signal for a plain process: wait for
	// its API to answer.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ctr("version").Run() == nil {
			return ctr
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd did not start; log: %s", readBack(t, daemon.Stderr.(*os.File)))
		}
	}
}

// TestContainerdRunsOnggiRunc drives onggi-runc through containerd's runc
// shim (io.containerd.runc.v2 with runc_binary), the path dockerd and
// Kubernetes take: create/start/state/exec/pause/kill/delete and the
// shim's reading of --log-format json errors.
func TestContainerdRunsOnggiRunc(t *testing.T) {
	testbundle.RequireRoot(t)
	for _, bin := range []string{"containerd", "ctr", "containerd-shim-runc-v2"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install containerd)", bin)
		}
	}
	dir := t.TempDir()
	ctr := startContainerd(t, dir)
	rootfs := filepath.Join(dir, "rootfs")
	testbundle.Rootfs(t, rootfs)
	run := func(args ...string) []string {
		return append([]string{"run", "--rootfs", "--runc-binary", runcBin}, args...)
	}

	r := runCmd(t, ctr(run("--rm", rootfs, uniqueID("ctd"), "sh", "-c", "echo hello-from-containerd; exit 3")...))
	if r.code != 3 || strings.TrimSpace(r.stdout) != "hello-from-containerd" {
		t.Errorf("ctr run --rm: %v", r)
	}

	id := uniqueID("ctd")
	if r := runCmd(t, ctr(run("-d", rootfs, id, "sleep", "1000")...)); r.code != 0 {
		t.Fatalf("ctr run -d: %v", r)
	}
	t.Cleanup(func() {
		runCmd(t, ctr("task", "kill", "-s", "SIGKILL", id))
		runCmd(t, ctr("task", "rm", "-f", id))
		runCmd(t, ctr("container", "rm", id))
	})
	r = runCmd(t, ctr("task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo exec-ok; exit 5"))
	if r.code != 5 || strings.TrimSpace(r.stdout) != "exec-ok" {
		t.Errorf("ctr task exec: %v", r)
	}
	for _, step := range [][]string{{"task", "pause", id}, {"task", "resume", id}, {"task", "kill", "-s", "SIGKILL", id}} {
		if r := runCmd(t, ctr(step...)); r.code != 0 {
			t.Errorf("ctr %v: %v", step, r)
		}
	}

	// The shim reports the runtime's error from the JSON log.
	r = runCmd(t, ctr(run("--rm", rootfs, uniqueID("ctd"), "/nonexistent")...))
	if r.code == 0 || !strings.Contains(r.stderr, "OCI runtime create failed") || !strings.Contains(r.stderr, "/nonexistent") {
		t.Errorf("ctr run of a missing binary: %v", r)
	}
}
