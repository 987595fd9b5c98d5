package integration

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// containerCLI is an engine with its own temporary root and runroot holding
// busybox:latest. Cleanup removes every container, stops the root's
// monitor and unmounts whatever is left under both directories, even when
// the test failed half-way.
type containerCLI struct {
	*imageCLI
}

func newContainerCLI(t *testing.T) *containerCLI {
	t.Helper()
	requireRootIntegration(t)
	c := &containerCLI{imageCLI: newImageCLI(t)}
	t.Cleanup(c.cleanup)
	c.bootstrapBusybox()
	return c
}

func requireRootIntegration(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("container tests need root")
	}
}

func (c *containerCLI) cleanup() {
	if ids := strings.Fields(c.run("ps", "-aq", "--no-trunc").stdout); len(ids) > 0 {
		c.run(append([]string{"rm", "-f", "-v"}, ids...)...)
	}
	// With no container left this also takes the default bridge and the
	// root's nft table down at once (the monitor would after a delay).
	c.run("network", "prune", "-f")
	sum := sha256.Sum256([]byte(filepath.Clean(c.root)))
	tag := hex.EncodeToString(sum[:])[:6]
	if _, err := os.Stat("/sys/class/net/og" + tag + "0"); err == nil {
		c.t.Errorf("default bridge og%s0 left behind", tag)
		exec.Command("ip", "link", "del", "og"+tag+"0").Run()
	}
	if out, _ := exec.Command("nft", "list", "tables").Output(); strings.Contains(string(out), "onggi-"+tag+"\n") {
		c.t.Errorf("nft table onggi-%s left behind", tag)
		exec.Command("nft", "delete", "table", "inet", "onggi-"+tag).Run()
	}
	for _, pid := range monitorPids(c.runroot) {
		syscall.Kill(pid, syscall.SIGKILL)
		waitGone(pid)
	}
	unmountUnder(c.t, c.root, c.runroot)
}

// monitorPids finds onggi-monitor processes serving runroot.
func monitorPids(runroot string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) == 0 || !strings.HasSuffix(args[0], "onggi-monitor") {
			continue
		}
		for _, a := range args {
			if a == runroot {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

func waitGone(pid int) {
	for i := 0; i < 200; i++ {
		if err := syscall.Kill(pid, 0); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// unmountUnder detaches every mount below the given directories, deepest
// first.
func unmountUnder(t testing.TB, dirs ...string) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	var targets []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		mp := fields[4]
		for _, d := range dirs {
			if strings.HasPrefix(mp, d+"/") {
				targets = append(targets, mp)
			}
		}
	}
	for i := len(targets) - 1; i >= 0; i-- {
		if err := syscall.Unmount(targets[i], syscall.MNT_DETACH); err != nil {
			t.Logf("unmount %s: %v", targets[i], err)
		}
	}
}

// mountsUnder counts mounts below dir (a leak check).
func mountsUnder(dir string) []string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		fields := strings.Fields(l)
		if len(fields) >= 5 && strings.HasPrefix(fields[4], dir+"/") {
			out = append(out, fields[4])
		}
	}
	return out
}

// runD starts a detached container and returns its id.
func (c *containerCLI) runD(args ...string) string {
	c.t.Helper()
	return strings.TrimSpace(c.ok(append([]string{"run", "-d"}, args...)...))
}

// inspectField returns `inspect --format tmpl ref`, trimmed.
func (c *containerCLI) inspectField(ref, tmpl string) string {
	c.t.Helper()
	return strings.TrimSpace(c.ok("inspect", "--format", tmpl, ref))
}

// waitStatus polls inspect until the container's status is want; tests
// use it where docker users would (there is no event stream yet).
func (c *containerCLI) waitStatus(ref, want string, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	var got string
	for time.Now().Before(deadline) {
		got = strings.TrimSpace(c.run("inspect", "--format", "{{.State.Status}}", ref).stdout)
		if got == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("container %s: status %q, want %q after %v", ref, got, want, timeout)
}
