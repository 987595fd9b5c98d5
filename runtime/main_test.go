package runtime

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	"github.com/onggi/onggi/reexec"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestMain lets the test binary act as the container init and exec helper,
// as the onggi binary does.
func TestMain(m *testing.M) {
	RegisterHelpers(reexec.Register)
	if reexec.Init() {
		return
	}
	os.Exit(m.Run())
}

// newRuntime returns a Runtime with its own state root; every container
// left in it is force-deleted when the test ends.
func newRuntime(t *testing.T) *Runtime {
	t.Helper()
	r, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs, _ := r.List()
		for _, c := range cs {
			if err := c.Delete(true); err != nil {
				t.Errorf("cleanup: deleting %s: %v", c.ID(), err)
			}
		}
	})
	return r
}

// uniqueID returns a container id unique across parallel test runs (cgroup
// names are host-wide).
func uniqueID(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	return "onggi-test-" + name + "-" + hex.EncodeToString(b)
}

// result is the outcome of running a container to its end.
type result struct {
	out, err string
	code     int
}

// runBundle creates, starts, waits for and deletes a container.
func runBundle(t *testing.T, r *Runtime, bundle string) result {
	t.Helper()
	var out, errb bytes.Buffer
	id := uniqueID(t)
	c, err := r.Create(id, CreateOpts{Bundle: bundle, Stdio: Stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	code, err := c.Wait()
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	if err := c.Delete(false); err != nil {
		t.Fatalf("delete: %v", err)
	}
	return result{out.String(), errb.String(), code}
}

func run(t *testing.T, mutate func(*specs.Spec), args ...string) result {
	t.Helper()
	testbundle.RequireRoot(t)
	return runBundle(t, newRuntime(t), testbundle.Bundle(t, mutate, args...))
}

func TestRunEcho(t *testing.T) {
	res := run(t, nil, "echo", "hello from onggi")
	if res.code != 0 || res.out != "hello from onggi\n" {
		t.Fatalf("got %+v", res)
	}
}

func TestExitCode(t *testing.T) {
	res := run(t, nil, "sh", "-c", "exit 7")
	if res.code != 7 {
		t.Fatalf("exit code %d, want 7 (%+v)", res.code, res)
	}
}

func TestHostname(t *testing.T) {
	res := run(t, func(s *specs.Spec) { s.Hostname = "box42" }, "hostname")
	if strings.TrimSpace(res.out) != "box42" {
		t.Fatalf("hostname %q (%+v)", res.out, res)
	}
}

func TestPidNamespace(t *testing.T) {
	res := run(t, nil, "sh", "-c", "echo $$")
	if strings.TrimSpace(res.out) != "1" {
		t.Fatalf("pid inside %q, want 1 (%+v)", res.out, res)
	}
}

func TestUserAndEnv(t *testing.T) {
	res := run(t, func(s *specs.Spec) {
		s.Process.User = specs.User{UID: 65534, GID: 65534, AdditionalGids: []uint32{5, 7}}
		s.Process.Env = append(s.Process.Env, "GREETING=hi")
		s.Process.Cwd = "/tmp"
	}, "sh", "-c", `echo "$(id -u) $(id -g) $(id -G) $GREETING $(pwd) $HOME"`)
	if strings.TrimSpace(res.out) != "65534 65534 65534 5 7 hi /tmp /nonexistent" {
		t.Fatalf("got %q (%+v)", res.out, res)
	}
}

func TestMissingExecutable(t *testing.T) {
	testbundle.RequireRoot(t)
	r := newRuntime(t)
	id, bundle := uniqueID(t), testbundle.Bundle(t, nil, "no-such-binary")
	_, err := r.Create(id, CreateOpts{Bundle: bundle})
	if !errors.Is(err, ErrNoExecutable) {
		t.Fatalf("err %v, want ErrNoExecutable", err)
	}
	assertNoLeftovers(t, r, id, bundle)
}

// assertNoLeftovers checks that a failed Create left no state directory,
// no mount under the bundle and no cgroup directory behind.
func assertNoLeftovers(t *testing.T, r *Runtime, id, bundle string) {
	t.Helper()
	if _, err := os.Stat(r.dir(id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state directory %s left behind (%v)", r.dir(id), err)
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mi), bundle) {
		t.Errorf("mount under %s left behind", bundle)
	}
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/onggi/" + id)
	if len(dirs) > 0 {
		t.Errorf("cgroups left behind: %v", dirs)
	}
	if ps, _ := filepath.Glob("/proc/[0-9]*/cwd"); len(ps) > 0 {
		for _, p := range ps {
			if dst, err := os.Readlink(p); err == nil && strings.HasPrefix(dst, bundle) {
				t.Errorf("process %s left behind in %s", p, dst)
			}
		}
	}
}
