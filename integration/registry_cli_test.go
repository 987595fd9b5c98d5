package integration

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// startDaemon runs cmd until the test ends and waits for url to answer.
func startDaemon(t *testing.T, cmd *exec.Cmd, url string) {
	t.Helper()
	log := tempFile(t)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start; log: %s", cmd.Path, readBack(t, log))
		}
	}
}

// startOnggiRegistry serves a registry from a temporary directory.
func startOnggiRegistry(t *testing.T, extra ...string) (addr, storage string) {
	t.Helper()
	addr, storage = freeAddr(t), t.TempDir()
	args := append([]string{"registry", "serve", "--listen", addr, "--storage", storage}, extra...)
	startDaemon(t, exec.Command(onggiBin, args...), "http://"+addr+"/v2/")
	return addr, storage
}

// withEnv runs the CLI with extra environment (a private DOCKER_CONFIG)
// and optional stdin.
func (c *imageCLI) withEnv(env ...string) func(args ...string) result {
	return func(args ...string) result {
		c.t.Helper()
		return c.runEnv(nil, env, args...)
	}
}

func (c *imageCLI) runEnv(stdin io.Reader, env []string, args ...string) result {
	c.t.Helper()
	cmd := c.command(args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = stdin
	return runCmd(c.t, cmd)
}

func TestRegistryCLIPushPull(t *testing.T) {
	addr, storage := startOnggiRegistry(t)
	a, b := newImageCLI(t), newImageCLI(t)
	id := a.bootstrapBusybox()
	ref := addr + "/library/busybox"
	a.ok("tag", "busybox", ref+":1")
	out := a.ok("push", ref+":1", ref+":1", ref+":stable", addr+"/mirror/busybox:1")
	for _, want := range []string{"The push refers to repository [" + ref + "]", ": Pushed", "Layer already exists", "1: digest: sha256:", "stable: digest: sha256:"} {
		if !strings.Contains(out, want) {
			t.Fatalf("push output lacks %q:\n%s", want, out)
		}
	}
	out = b.ok("pull", ref+":stable")
	if !strings.Contains(out, "Pull complete") || !strings.Contains(out, "Status: Downloaded newer image for "+ref+":stable") {
		t.Fatalf("pull output:\n%s", out)
	}
	if got := b.inspect(ref + ":stable"); got.ID != id || len(got.RepoDigests) != 1 {
		t.Fatalf("pulled image %+v, want ID %s", got, id)
	}
	if out = b.ok("pull", ref+":stable"); !strings.Contains(out, "Image is up to date") {
		t.Fatalf("second pull:\n%s", out)
	}
	if out = b.ok("pull", "-q", addr+"/mirror/busybox:1"); strings.TrimSpace(out) != addr+"/mirror/busybox:1" {
		t.Fatalf("pull -q: %q", out)
	}
	// --all-tags both ways.
	a.ok("tag", "busybox", addr+"/all/busybox:x")
	a.ok("tag", "busybox", addr+"/all/busybox:y")
	if out = a.ok("push", "-a", addr+"/all/busybox"); !strings.Contains(out, "x: digest:") || !strings.Contains(out, "y: digest:") {
		t.Fatalf("push -a:\n%s", out)
	}
	c := newImageCLI(t)
	c.ok("pull", "-a", addr+"/all/busybox")
	if c.inspect(addr+"/all/busybox:x").ID != id || c.inspect(addr+"/all/busybox:y").ID != id {
		t.Fatal("pull -a did not fetch every tag")
	}
	// Nothing is garbage while every manifest is tagged.
	gc := a.ok("registry", "gc", "--storage", storage, "--grace", "0s", "--dry-run")
	if !strings.Contains(gc, "would delete 0 blobs") {
		t.Fatalf("gc --dry-run: %s", gc)
	}
	if r := a.run("registry", "gc", "--storage", storage, "--grace", "0s"); r.code == 0 {
		t.Fatalf("a real gc with no grace period was allowed: %v", r)
	}
	if gc = a.ok("registry", "gc", "--storage", storage); !strings.Contains(gc, "deleted 0 blobs") {
		t.Fatalf("gc: %s", gc)
	}
	if r := b.run("pull", addr+"/library/nonexistent:1"); r.code == 0 {
		t.Fatalf("pull of a missing image succeeded: %v", r)
	}
}

func TestRegistryCLILoginPrivate(t *testing.T) {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "htpasswd"), "alice:"+string(hash)+"\n")
	writeFile(t, filepath.Join(dir, "config.json"), `{"htpasswd": "htpasswd", "repositories": [
		{"name": "public/*", "public": true, "push": ["alice"]},
		{"name": "*", "pull": ["alice"], "push": ["alice"]}]}`)
	addr, _ := startOnggiRegistry(t, "--config", filepath.Join(dir, "config.json"))
	a := newImageCLI(t)
	dockerConfig := "DOCKER_CONFIG=" + t.TempDir()
	docker := a.withEnv(dockerConfig)
	a.bootstrapBusybox()
	a.ok("tag", "busybox", addr+"/team/app:v1")
	a.ok("tag", "busybox", addr+"/public/app:v1")
	if r := docker("push", addr+"/team/app:v1"); r.code == 0 {
		t.Fatalf("anonymous push succeeded: %v", r)
	}
	if r := docker("login", "-u", "alice", "-p", "wrong", addr); r.code == 0 {
		t.Fatalf("login with a wrong password succeeded: %v", r)
	}
	r := a.runEnv(strings.NewReader("s3cret\n"), []string{dockerConfig}, "login", "-u", "alice", "--password-stdin", addr)
	if r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded") {
		t.Fatalf("login: %v", r)
	}
	for _, ref := range []string{addr + "/team/app:v1", addr + "/public/app:v1"} {
		if r := docker("push", ref); r.code != 0 {
			t.Fatalf("push %s: %v", ref, r)
		}
	}
	if r := docker("logout", addr); r.code != 0 || !strings.Contains(r.stdout, "Removing login credentials") {
		t.Fatalf("logout: %v", r)
	}
	b := newImageCLI(t)
	anon := b.withEnv("DOCKER_CONFIG=" + t.TempDir())
	if r := anon("pull", addr+"/team/app:v1"); r.code == 0 {
		t.Fatalf("anonymous pull of a private repository succeeded: %v", r)
	}
	if r := anon("pull", addr+"/public/app:v1"); r.code != 0 {
		t.Fatalf("anonymous pull of a public repository: %v", r)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRegistryDockerDistribution pushes and pulls against Debian's
// docker-registry (CNCF distribution 2.8), the reference implementation.
func TestRegistryDockerDistribution(t *testing.T) {
	bin := imageRequireTool(t, "docker-registry")
	dir, addr := t.TempDir(), freeAddr(t)
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	writeFile(t, filepath.Join(dir, "config.yml"), cfg)
	startDaemon(t, exec.Command(bin, "serve", filepath.Join(dir, "config.yml")), "http://"+addr+"/v2/")

	a, b := newImageCLI(t), newImageCLI(t)
	id := a.bootstrapBusybox()
	ref := addr + "/library/busybox:dist"
	a.ok("tag", "busybox", ref)
	if out := a.ok("push", ref, ref, addr+"/other/busybox:dist"); !strings.Contains(out, "dist: digest: sha256:") {
		t.Fatalf("push to distribution:\n%s", out)
	}
	b.ok("pull", ref)
	if got := b.inspect(ref); got.ID != id {
		t.Fatalf("pulled %s from distribution, want %s", got.ID, id)
	}
	// Pushing the pulled image to a third repository mounts the layer.
	b.ok("tag", ref, addr+"/third/busybox:dist")
	if out := b.ok("push", addr+"/third/busybox:dist"); !strings.Contains(out, "Mounted from library/busybox") {
		t.Fatalf("push to a third repository did not mount:\n%s", out)
	}
}
