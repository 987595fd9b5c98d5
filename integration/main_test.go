package integration

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Paths of the binary under test, set by TestMain.
var (
	onggiBin string // the onggi binary
	runcBin  string // a symlink to it named onggi-runc
)

// TestMain builds the binary once for every test of the package, so each
// test drives the real command line. ONGGI_TEST_BINARY names a prebuilt
// binary instead (CI builds once for several packages).
func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "onggi-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The directory is reached by containers with user namespaces too.
	os.Chmod(dir, 0o755)
	onggiBin = filepath.Join(dir, "onggi")
	if prebuilt := os.Getenv("ONGGI_TEST_BINARY"); prebuilt != "" {
		if onggiBin, err = filepath.Abs(prebuilt); err == nil {
			_, err = os.Stat(onggiBin)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "ONGGI_TEST_BINARY:", err)
			return 1
		}
	} else if err := buildBinary(onggiBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	runcBin = filepath.Join(dir, "onggi-runc")
	if err := os.Symlink(onggiBin, runcBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func buildBinary(out string) error {
	cmd := exec.Command("go", "build", "-o", out, "github.com/onggi/onggi/cmd/onggi")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building onggi: %w\n%s", err, output)
	}
	return nil
}

// result is one finished command.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// runtimeCLI runs the runtime command line under one name with its own
// temporary --root, and deletes every container left there at cleanup.
type runtimeCLI struct {
	t    testing.TB
	name string   // "onggi-runc" or "onggi runtime", for subtest names
	argv []string // the command up to the runtime's verbs
	root string
}

// runtimeModes are the two spellings of the runtime CLI.
func runtimeModes() []string { return []string{"onggi-runc", "onggi runtime"} }

func newRuntimeCLI(t testing.TB, mode string) *runtimeCLI {
	t.Helper()
	c := &runtimeCLI{t: t, name: mode, root: t.TempDir()}
	switch mode {
	case "onggi-runc":
		c.argv = []string{runcBin}
	case "onggi runtime":
		c.argv = []string{onggiBin, "runtime"}
	default:
		t.Fatalf("unknown runtime mode %q", mode)
	}
	t.Cleanup(c.deleteAll)
	return c
}

// deleteAll force-deletes whatever the test left under the root, so a
// failing test leaves no process, mount or cgroup behind.
func (c *runtimeCLI) deleteAll() {
	ids := c.run("list", "-q")
	for _, id := range strings.Fields(ids.stdout) {
		if r := c.run("delete", "--force", id); r.code != 0 {
			c.t.Errorf("cleanup: delete --force %s: %v", id, r)
		}
	}
}

// command is the exec.Cmd for args with --root set.
func (c *runtimeCLI) command(args ...string) *exec.Cmd {
	full := append(append([]string{}, c.argv[1:]...), "--root", c.root)
	return exec.Command(c.argv[0], append(full, args...)...)
}

// run runs the command to its end; a non-zero exit is a result, not an error.
func (c *runtimeCLI) run(args ...string) result {
	return runCmd(c.t, c.command(args...))
}

// ok runs the command and fails the test unless it exits 0; it returns stdout.
func (c *runtimeCLI) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("%s %s: %v", c.name, strings.Join(args, " "), r)
	}
	return r.stdout
}

// runCmd runs cmd with stdout and stderr in files, not pipes: a detached
// container inherits them and would keep a pipe open long after the
// command returned.
func runCmd(t testing.TB, cmd *exec.Cmd) result {
	t.Helper()
	outF, errF := tempFile(t), tempFile(t)
	if cmd.Stdout == nil {
		cmd.Stdout = outF
	}
	if cmd.Stderr == nil {
		cmd.Stderr = errF
	}
	err := cmd.Run()
	r := result{stdout: readBack(t, outF), stderr: readBack(t, errF)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return r
}

func tempFile(t testing.TB) *os.File {
	t.Helper()
	f, err := os.CreateTemp("", "onggi-out-")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(f.Name())
	t.Cleanup(func() { f.Close() })
	return f
}

func readBack(t testing.TB, f *os.File) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func execCommand(args ...string) *exec.Cmd { return exec.Command(args[0], args[1:]...) }
