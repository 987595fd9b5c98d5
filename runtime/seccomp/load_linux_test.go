//go:build linux && cgo

package seccomp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// A loaded filter cannot be removed, so every loading test runs in a child:
// the test binary re-executed with childEnv naming a plan file.
const childEnv = "ONGGI_SECCOMP_TEST_CHILD"

// childPlan is what the child does: load Seccomp, run Probes (printing one
// JSON object probe name → errno, 0 on success), then exec Exec if set.
type childPlan struct {
	Seccomp  *specs.LinuxSeccomp
	Listener string // send the notify fd here (LoadNotify + SendToListener)
	// DropSysAdmin removes CAP_SYS_ADMIN from the loading thread first.
	DropSysAdmin bool
	// LimitAS, when set, becomes RLIMIT_AS between Compile and Load, as a
	// container's process.rlimits would.
	LimitAS uint64
	Probes  []probe
	Exec    []string
}

// probe is one syscall made by the child, chosen by Kind: mkdir (Path),
// getcwd, personality (Arg0), getpriority (Arg0, Arg1), getpgid (Arg0),
// swapoff (Path).
type probe struct {
	Name       string
	Kind       string
	Path       string
	Arg0, Arg1 uint64
}

func TestMain(m *testing.M) {
	if plan := os.Getenv(childEnv); plan != "" {
		os.Exit(runChild(plan))
	}
	os.Exit(m.Run())
}

func runChild(planPath string) int {
	var plan childPlan
	data, err := os.ReadFile(planPath)
	if err == nil {
		err = json.Unmarshal(data, &plan)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: reading plan:", err)
		return 2
	}
	runtime.LockOSThread()
	// A killed child must not leave a core file in the package folder.
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	if plan.DropSysAdmin {
		if err := dropSysAdmin(); err != nil {
			fmt.Fprintln(os.Stderr, "child: dropping CAP_SYS_ADMIN:", err)
			return 2
		}
	}
	if err := childLoad(plan); err != nil {
		fmt.Fprintln(os.Stderr, "child: loading:", err)
		return 3
	}
	results := map[string]int{}
	for _, p := range plan.Probes {
		results[p.Name] = int(p.run())
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		return 4
	}
	if plan.Exec != nil {
		err := unix.Exec(plan.Exec[0], plan.Exec, os.Environ())
		fmt.Fprintln(os.Stderr, "child: exec:", err)
		return 5
	}
	return 0
}

// dropSysAdmin clears CAP_SYS_ADMIN from this thread's effective set
// (capabilities are per thread; the thread is locked).
func dropSysAdmin() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[unix.CAP_SYS_ADMIN/32].Effective &^= 1 << (unix.CAP_SYS_ADMIN % 32)
	return unix.Capset(&hdr, &data[0])
}

func childLoad(plan childPlan) error {
	if plan.LimitAS != 0 {
		f, err := Compile(plan.Seccomp)
		if err != nil {
			return err
		}
		// Only the soft limit, and only around Load: the Go runtime of this
		// child allocates afterwards (results, exec), and an ENOMEM there
		// would make the test flaky without saying anything about Load.
		var old unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_AS, &old); err != nil {
			return err
		}
		if err := unix.Setrlimit(unix.RLIMIT_AS, &unix.Rlimit{Cur: plan.LimitAS, Max: old.Max}); err != nil {
			return err
		}
		_, loadErr := f.Load()
		if err := unix.Setrlimit(unix.RLIMIT_AS, &old); err != nil {
			return err
		}
		return loadErr
	}
	if plan.Listener == "" {
		return Load(plan.Seccomp)
	}
	fd, err := LoadNotify(plan.Seccomp)
	if err != nil {
		return err
	}
	if fd == nil {
		return fmt.Errorf("LoadNotify returned no fd")
	}
	defer fd.Close()
	return SendToListener(plan.Listener, fd, specs.ContainerProcessState{Pid: os.Getpid(), Metadata: "test"})
}

func (p probe) run() syscall.Errno {
	var err error
	switch p.Kind {
	case "mkdir":
		err = unix.Mkdirat(unix.AT_FDCWD, p.Path, 0o755)
	case "getcwd":
		_, err = unix.Getcwd(make([]byte, unix.PathMax))
	case "personality":
		_, _, errno := unix.Syscall(unix.SYS_PERSONALITY, uintptr(p.Arg0), 0, 0)
		return errno
	case "getpriority":
		_, _, errno := unix.Syscall(unix.SYS_GETPRIORITY, uintptr(p.Arg0), uintptr(p.Arg1), 0)
		return errno
	case "getpgid":
		_, _, errno := unix.Syscall(unix.SYS_GETPGID, uintptr(p.Arg0), 0, 0)
		return errno
	case "nnp":
		// Not an errno: the no_new_privs bit itself (0 or 1).
		v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
		if err != nil {
			return unix.EINVAL
		}
		return syscall.Errno(v)
	case "swapoff":
		ptr, perr := unix.BytePtrFromString(p.Path)
		if perr != nil {
			return unix.EINVAL
		}
		_, _, errno := unix.Syscall(unix.SYS_SWAPOFF, uintptr(unsafe.Pointer(ptr)), 0, 0)
		return errno
	default:
		return unix.ENOTSUP
	}
	if errno, ok := err.(syscall.Errno); ok {
		return errno
	}
	return 0
}

// startChild runs plan in a child and returns its probe results, exit state
// and output. It fails t only if the child could not be started.
func startChild(t *testing.T, plan childPlan) (map[string]int, *os.ProcessState, string) {
	t.Helper()
	planPath := filepath.Join(t.TempDir(), "plan.json")
	data, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// A generous bound so a wedged child (say, a notification nobody
	// answers) fails the test instead of hanging the suite.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+planPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	_ = cmd.Wait()
	results := map[string]int{}
	if line, _, _ := bytes.Cut(stdout.Bytes(), []byte("\n")); len(line) > 0 {
		if err := json.Unmarshal(line, &results); err != nil {
			t.Fatalf("child output %q: %v (stderr %q)", stdout.String(), err, stderr.String())
		}
	}
	return results, cmd.ProcessState, stdout.String() + stderr.String()
}

func wantErrno(t *testing.T, results map[string]int, name string, want syscall.Errno, out string) {
	t.Helper()
	got, ok := results[name]
	if !ok {
		t.Fatalf("probe %s did not run; child output: %s", name, out)
	}
	if syscall.Errno(got) != want {
		t.Errorf("probe %s: errno %d (%v), want %d (%v)", name, got, syscall.Errno(got), want, want)
	}
}
