package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// imageCLI runs onggi's engine commands with their own temporary --root and
// --runroot, so image tests never share a store.
type imageCLI struct {
	t             testing.TB
	root, runroot string
}

func newImageCLI(t testing.TB) *imageCLI {
	t.Helper()
	return &imageCLI{t: t, root: t.TempDir(), runroot: t.TempDir()}
}

func (c *imageCLI) command(args ...string) *exec.Cmd {
	full := append([]string{"--root", c.root, "--runroot", c.runroot}, args...)
	return exec.Command(onggiBin, full...)
}

// run runs onggi to its end; a non-zero exit is a result.
func (c *imageCLI) run(args ...string) result {
	c.t.Helper()
	return runCmd(c.t, c.command(args...))
}

// runIn runs onggi with stdin.
func (c *imageCLI) runIn(stdin io.Reader, args ...string) result {
	c.t.Helper()
	cmd := c.command(args...)
	cmd.Stdin = stdin
	return runCmd(c.t, cmd)
}

// ok runs onggi and fails the test unless it exits 0; it returns stdout.
func (c *imageCLI) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("onggi %s: %v", strings.Join(args, " "), r)
	}
	return r.stdout
}

// bootstrapBusybox builds busybox:latest in the store and returns its ID.
func (c *imageCLI) bootstrapBusybox() string {
	c.t.Helper()
	out := c.ok("image", "bootstrap", "busybox")
	lines := strings.Fields(out)
	return lines[len(lines)-1]
}

// inspectedImage is the part of `image inspect` the tests read.
type inspectedImage struct {
	ID          string `json:"Id"`
	RepoTags    []string
	Config      map[string]any
	RootFS      struct{ Layers []string }
	Size        int64
	Comment     string
	Descriptor  struct{ Digest string }
	RepoDigests []string
}

func (c *imageCLI) inspect(ref string) inspectedImage {
	c.t.Helper()
	var out []inspectedImage
	if err := json.Unmarshal([]byte(c.ok("image", "inspect", ref)), &out); err != nil || len(out) != 1 {
		c.t.Fatalf("inspect %s: %v (%d records)", ref, err, len(out))
	}
	return out[0]
}

// imageLines splits output into non-empty lines.
func imageLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func imageRequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (apt-get install %s)", name, name)
	}
	return p
}

// imageRunTool runs an external tool and fails the test on error.
func imageRunTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}
