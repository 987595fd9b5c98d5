package runtime

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/onggi/onggi/internal/testbundle"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// copyTestBinary copies the test binary so that an attack that succeeds
// overwrites the copy, never the binary running the tests.
func copyTestBinary(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "onggi-under-attack")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// attackSelfExe replays CVE-2019-5736 against a runtime whose helpers run
// from binary: a process exec'd into a created container keeps an fd on
// /proc/1/exe (the runtime's init), waits until nothing executes the
// binary any more (the container started), then reopens the fd for
// writing. It returns whether the binary changed.
func attackSelfExe(t *testing.T, defended bool) (changed bool, output string) {
	t.Helper()
	binary := copyTestBinary(t)
	before, _ := os.ReadFile(binary)
	r := newRuntime(t)
	r.selfExe, r.noExeDefence = binary, !defended
	bundle := testbundle.Bundle(t, nil, "sleep", "1000")
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	p := testbundle.Spec().Process
	p.Args = []string{"sh", "-c", `exec 3</proc/1/exe || exit 90
		echo holding
		while [ ! -e /tmp/go ]; do sleep 0.02; done
		i=0
		until err=$( (echo pwned >/proc/self/fd/3) 2>&1); do
			# Text file busy until the init's old image is released.
			case "$err" in *busy*) ;; *) echo "$err after $i tries"; exit 1;; esac
			i=$((i+1)); [ $i -gt 250 ] && { echo "$err"; exit 1; }
			sleep 0.02
		done; echo "written after $i tries"`}
	pr, pw, _ := os.Pipe()
	proc, err := c.Exec(p, ExecOpts{Stdio: Stdio{Stdout: pw, Stderr: pw}})
	pw.Close()
	if err != nil {
		t.Fatal(err)
	}
	// Start only once the attacker holds the init's executable.
	line := make([]byte, len("holding\n"))
	if _, err := io.ReadFull(pr, line); err != nil || string(line) != "holding\n" {
		t.Fatalf("attacker did not get hold of /proc/1/exe: %q %v", line, err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "rootfs/tmp/go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(pr)
	ps, _ := proc.Wait()
	if ps.ExitCode() == 90 {
		t.Fatalf("attack could not open /proc/1/exe: %s", out)
	}
	after, _ := os.ReadFile(binary)
	t.Logf("defended=%v: exit %d, %s", defended, ps.ExitCode(), out)
	return !bytes.Equal(before, after), string(out)
}

func TestCVE2019_5736HostBinaryNotWritable(t *testing.T) {
	testbundle.RequireRoot(t)
	changed, out := attackSelfExe(t, true)
	if changed {
		t.Fatal("the container overwrote the runtime binary through /proc/self/exe")
	}
	// Refused by the defence, not merely by timing (ETXTBSY).
	if !strings.Contains(out, "Read-only file system") {
		t.Fatalf("attack failed for another reason: %s", out)
	}
}

// TestCVE2019_5736AttackIsReal proves the attack above works when the
// defence is off, so the test above cannot pass by accident.
func TestCVE2019_5736AttackIsReal(t *testing.T) {
	testbundle.RequireRoot(t)
	if changed, out := attackSelfExe(t, false); !changed {
		t.Logf("attack output: %s", out)
		t.Fatal("without the defence the attack should have overwritten the binary")
	}
}

// leakFD opens dir without O_CLOEXEC in the runtime's process, as a
// careless caller (or Go package) might, and returns the fd.
func leakFD(t *testing.T, dir string) int {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// TestCVE2024_21626NoFDLeak lists the fds of the container process and of
// an exec'd process: only stdio and the one ls opens may be there.
func TestCVE2024_21626NoFDLeak(t *testing.T) {
	testbundle.RequireRoot(t)
	leaked := leakFD(t, "/sys/fs/cgroup")
	res := run(t, nil, "ls", "/proc/self/fd")
	if strings.Fields(res.out) == nil || strings.Join(strings.Fields(res.out), " ") != "0 1 2 3" {
		t.Fatalf("fds in the container: %q (leaked fd %d)", res.out, leaked)
	}
	r := newRuntime(t)
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: testbundle.Bundle(t, nil, "sleep", "1000")})
	if err != nil {
		t.Fatal(err)
	}
	p := testbundle.Spec().Process
	p.Args = []string{"ls", "/proc/self/fd"}
	out, _ := execOut(t, c, p)
	if strings.Join(strings.Fields(out), " ") != "0 1 2 3" {
		t.Fatalf("fds in exec'd process: %q", out)
	}
}

// TestCVE2024_21626CwdOutsideRefused sets process.cwd to a leaked host
// directory fd, runc's original attack: the init must refuse it.
func TestCVE2024_21626CwdOutsideRefused(t *testing.T) {
	testbundle.RequireRoot(t)
	fd := leakFD(t, "/sys/fs/cgroup")
	r := newRuntime(t)
	id := uniqueID(t)
	bundle := testbundle.Bundle(t, func(s *specs.Spec) { s.Process.Cwd = "/proc/self/fd/" + strconv.Itoa(fd) }, "pwd")
	_, err := r.Create(id, CreateOpts{Bundle: bundle})
	if err == nil || !strings.Contains(err.Error(), "outside the container root") {
		t.Fatalf("create with cwd on a leaked fd: %v", err)
	}
	assertNoLeftovers(t, r, id, bundle)
	// Exec is held to the same rule.
	c, err := r.Create(uniqueID(t), CreateOpts{Bundle: testbundle.Bundle(t, nil, "sleep", "1000")})
	if err != nil {
		t.Fatal(err)
	}
	p := testbundle.Spec().Process
	p.Args, p.Cwd = []string{"pwd"}, "/proc/self/fd/"+strconv.Itoa(fd)
	if _, err := c.Exec(p, ExecOpts{}); err == nil || !errors.Is(err, ErrInvalid) {
		t.Fatalf("exec with cwd on a leaked fd: %v", err)
	}
}

// TestSelfExeCopiesRefuseWrites checks both forms openSelfExe can return:
// reopening them for writing through /proc/self/fd must not reach the file.
func TestSelfExeCopiesRefuseWrites(t *testing.T) {
	testbundle.RequireRoot(t)
	binary := copyTestBinary(t)
	before, _ := os.ReadFile(binary)
	for name, open := range map[string]func(string) (*os.File, error){"ro-bind": roBindExe, "memfd": memfdExe} {
		f, err := open(binary)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), os.O_WRONLY, 0)
		if err == nil {
			_, err = w.Write([]byte("pwned"))
			w.Close()
		}
		f.Close()
		if err == nil {
			t.Errorf("%s: writing through the copy succeeded", name)
		}
	}
	if after, _ := os.ReadFile(binary); !bytes.Equal(before, after) {
		t.Fatal("binary changed")
	}
}

// TestSeccomp loads a profile with and without noNewPrivileges (the latter
// needs CAP_SYS_ADMIN at load time, which must not survive into the
// process) and checks an errno action with an argument condition.
func TestSeccomp(t *testing.T) {
	for _, nnp := range []bool{true, false} {
		eperm := uint(1)
		res := run(t, func(s *specs.Spec) {
			s.Process.NoNewPrivileges = nnp
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &eperm},
				// personality(0xffffffff) queries; refuse only PER_LINUX32 (8).
				{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: &eperm,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: 8, Op: specs.OpEqualTo}}},
			}}
		}, "sh", "-c", "mkdir /tmp/x; linux32 true && echo linux32 ok; grep -E '^(CapEff|Seccomp):' /proc/self/status")
		// The spec's three capabilities (KILL, NET_BIND_SERVICE,
		// AUDIT_WRITE), no CAP_SYS_ADMIN, filter mode 2.
		want := "CapEff:\t0000000020000420\nSeccomp:\t2\n"
		if !strings.Contains(res.err, "can't create directory '/tmp/x': Operation not permitted") ||
			!strings.Contains(res.err, "personality(0x8): Operation not permitted") || res.out != want {
			t.Errorf("nnp=%v: %+v", nnp, res)
		}
	}
}
