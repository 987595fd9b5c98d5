package integration

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
)

// TestPodmanRunsOnggiRunc drives onggi-runc the way podman (through conmon)
// does, on an image imported from a busybox rootfs, with podman's state in
// temporary directories.
func TestPodmanRunsOnggiRunc(t *testing.T) {
	testbundle.RequireRoot(t)
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Skip("podman is not installed (apt-get install podman)")
	}
	dir := t.TempDir()
	testbundle.Rootfs(t, filepath.Join(dir, "rootfs"))
	tarball := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", filepath.Join(dir, "rootfs"), "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	base := []string{"--root", filepath.Join(dir, "storage"), "--runroot", filepath.Join(dir, "run"),
		"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
		"--runtime", runcBin}
	pm := func(args ...string) result {
		return runCmd(t, exec.Command(podman, append(append([]string{}, base...), args...)...))
	}
	t.Cleanup(func() { pm("rm", "--all", "--force", "--time", "0") })
	const image = "localhost/onggi-busybox:test"
	// podman's default rlimits (nofile and nproc above a million) exceed
	// this host's hard limits, which root without CAP_SYS_RESOURCE cannot
	// raise: runc fails the same way without these.
	limits := []string{"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none"}
	if r := pm("import", tarball, image); r.code != 0 {
		t.Fatalf("podman import: %v", r)
	}
	r := pm(append(append([]string{"run", "--rm"}, limits...), image, "sh", "-c", "echo hello-from-podman; exit 4")...)
	if r.code != 4 || strings.TrimSpace(r.stdout) != "hello-from-podman" {
		t.Errorf("podman run --rm: %v", r)
	}
	r = pm(append(append([]string{"run", "-d", "--name", "onggi-podman"}, limits...), image, "sleep", "1000")...)
	if r.code != 0 {
		t.Fatalf("podman run -d: %v", r)
	}
	if r := pm("exec", "onggi-podman", "echo", "exec-ok"); r.code != 0 || strings.TrimSpace(r.stdout) != "exec-ok" {
		t.Errorf("podman exec: %v", r)
	}
	if r := pm("rm", "--force", "--time", "0", "onggi-podman"); r.code != 0 {
		t.Errorf("podman rm -f: %v", r)
	}
}
