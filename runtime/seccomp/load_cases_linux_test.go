//go:build linux && cgo

package seccomp

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/onggi/onggi/internal/testbundle"
)

var mkdirNames = []string{"mkdir", "mkdirat"}

func TestLoadErrno(t *testing.T) {
	testbundle.RequireRoot(t)
	dir := t.TempDir()
	res, st, out := startChild(t, childPlan{
		Seccomp: &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Flags:         []specs.LinuxSeccompFlag{flagTsync, specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow},
			Syscalls: []specs.LinuxSyscall{
				{Names: append([]string{"no_such_syscall"}, mkdirNames...), Action: specs.ActErrno},
				{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: uptr(uint(unix.EXDEV))},
			},
		},
		Probes: []probe{
			{Name: "mkdir", Kind: "mkdir", Path: filepath.Join(dir, "made")},
			{Name: "getcwd", Kind: "getcwd"},
		},
	})
	if !st.Success() {
		t.Fatalf("child failed: %v: %s", st, out)
	}
	wantErrno(t, res, "mkdir", unix.EPERM, out)
	wantErrno(t, res, "getcwd", unix.EXDEV, out)
	if _, err := os.Stat(filepath.Join(dir, "made")); !os.IsNotExist(err) {
		t.Errorf("mkdir was denied but the directory exists (stat: %v)", err)
	}
}

// Load leaves no_new_privs to process.noNewPrivileges: without it and
// without CAP_SYS_ADMIN the kernel refuses the filter, and Load says why.
func TestLoadDoesNotSetNoNewPrivs(t *testing.T) {
	testbundle.RequireRoot(t)
	cfg := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"getcwd"}, Action: specs.ActErrno},
	}}
	res, st, out := startChild(t, childPlan{Seccomp: cfg, Probes: []probe{{Name: "nnp", Kind: "nnp"}}})
	if !st.Success() {
		t.Fatalf("child failed: %v: %s", st, out)
	}
	if res["nnp"] != 0 {
		t.Errorf("no_new_privs is %d after Load, want 0", res["nnp"])
	}
	_, st, out = startChild(t, childPlan{Seccomp: cfg, DropSysAdmin: true})
	if st.ExitCode() != 3 || !strings.Contains(out, "no_new_privs") {
		t.Errorf("Load without CAP_SYS_ADMIN or no_new_privs: %v, output %q; want the load refused with a hint", st, out)
	}
}

func TestLoadArgConditions(t *testing.T) {
	testbundle.RequireRoot(t)
	exdev := uptr(uint(unix.EXDEV))
	res, st, out := startChild(t, childPlan{
		Seccomp: &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{
				// Everything but the personality query is denied.
				{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: exdev,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0xffffffff, Op: specs.OpNotEqual}}},
				// Two arguments: AND.
				{Names: []string{"getpriority"}, Action: specs.ActErrno, ErrnoRet: exdev,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: unix.PRIO_PROCESS, Op: specs.OpEqualTo}, {Index: 1, Value: 4242, Op: specs.OpEqualTo}}},
				// Masked: (who & 0xff00) == 0x1200, for PRIO_USER only.
				{Names: []string{"getpriority"}, Action: specs.ActErrno, ErrnoRet: exdev,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: unix.PRIO_USER, Op: specs.OpEqualTo}, {Index: 1, Value: 0xff00, ValueTwo: 0x1200, Op: specs.OpMaskedEqual}}},
				// The same argument twice: libseccomp cannot AND it, so OR (runc).
				{Names: []string{"getpgid"}, Action: specs.ActErrno, ErrnoRet: exdev,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1111111, Op: specs.OpEqualTo}, {Index: 0, Value: 2222222, Op: specs.OpEqualTo}}},
			},
		},
		Probes: []probe{
			{Name: "personality-query", Kind: "personality", Arg0: 0xffffffff},
			{Name: "personality-set", Kind: "personality", Arg0: addrNoRandomize},
			{Name: "prio-both", Kind: "getpriority", Arg0: unix.PRIO_PROCESS, Arg1: 4242},
			{Name: "prio-self", Kind: "getpriority", Arg0: unix.PRIO_PROCESS, Arg1: 0},
			{Name: "prio-pgrp", Kind: "getpriority", Arg0: unix.PRIO_PGRP, Arg1: 4242},
			{Name: "prio-user-masked", Kind: "getpriority", Arg0: unix.PRIO_USER, Arg1: 0x1234},
			{Name: "prio-user-other", Kind: "getpriority", Arg0: unix.PRIO_USER, Arg1: 0x1334},
			{Name: "pgid-first", Kind: "getpgid", Arg0: 1111111},
			{Name: "pgid-second", Kind: "getpgid", Arg0: 2222222},
			{Name: "pgid-self", Kind: "getpgid", Arg0: 0},
		},
	})
	if !st.Success() {
		t.Fatalf("child failed: %v: %s", st, out)
	}
	wantErrno(t, res, "personality-query", 0, out)
	wantErrno(t, res, "personality-set", unix.EXDEV, out)
	wantErrno(t, res, "prio-both", unix.EXDEV, out)
	wantErrno(t, res, "prio-self", 0, out)
	wantErrno(t, res, "prio-user-masked", unix.EXDEV, out)
	wantErrno(t, res, "pgid-first", unix.EXDEV, out)
	wantErrno(t, res, "pgid-second", unix.EXDEV, out)
	wantErrno(t, res, "pgid-self", 0, out)
	// Only one of the two conditions holds: the kernel answers for itself.
	for _, name := range []string{"prio-pgrp", "prio-user-other"} {
		if syscall.Errno(res[name]) == unix.EXDEV {
			t.Errorf("probe %s denied although only one condition of its rule matched", name)
		}
	}
}

func signalOf(st *os.ProcessState) syscall.Signal {
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return 0
	}
	return ws.Signal()
}

func TestLoadKillProcess(t *testing.T) {
	testbundle.RequireRoot(t)
	res, st, out := startChild(t, childPlan{
		Seccomp: &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"getcwd"}, Action: specs.ActKillProcess},
		}},
		Probes: []probe{{Name: "getcwd", Kind: "getcwd"}},
	})
	if sig := signalOf(st); sig != unix.SIGSYS {
		t.Fatalf("child: %v (signal %v), want killed by SIGSYS; results %v: %s", st, sig, res, out)
	}
}

// SCMP_ACT_KILL kills the thread; in a single-threaded program (busybox
// after exec) that is the process.
func TestLoadKillThenExec(t *testing.T) {
	testbundle.RequireRoot(t)
	dir := t.TempDir()
	_, st, out := startChild(t, childPlan{
		Seccomp: &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: mkdirNames, Action: specs.ActKill},
		}},
		Exec: []string{testbundle.BusyboxPath, "mkdir", filepath.Join(dir, "killed")},
	})
	if sig := signalOf(st); sig != unix.SIGSYS {
		t.Fatalf("busybox mkdir: %v (signal %v), want killed by SIGSYS: %s", st, sig, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "killed")); !os.IsNotExist(err) {
		t.Errorf("mkdir was killed but the directory exists (stat: %v)", err)
	}
}

func TestLoadDefaultProfileRunsBusybox(t *testing.T) {
	testbundle.RequireRoot(t)
	profile, err := DefaultProfile(testbundle.Spec())
	if err != nil {
		t.Fatal(err)
	}
	res, st, out := startChild(t, childPlan{
		Seccomp: profile,
		Probes: []probe{
			{Name: "personality-query", Kind: "personality", Arg0: 0xffffffff},
			{Name: "personality-set", Kind: "personality", Arg0: addrNoRandomize},
			// Needs CAP_SYS_ADMIN in the spec, which the default spec lacks.
			{Name: "swapoff", Kind: "swapoff", Path: "/nonexistent-onggi-swap"},
		},
		Exec: []string{testbundle.BusyboxPath, "sh", "-c", "echo ok"},
	})
	if !st.Success() {
		t.Fatalf("busybox sh under the default profile: %v: %s", st, out)
	}
	wantErrno(t, res, "personality-query", 0, out)
	wantErrno(t, res, "personality-set", unix.EPERM, out)
	wantErrno(t, res, "swapoff", unix.EPERM, out)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); lines[len(lines)-1] != "ok" {
		t.Errorf("busybox output %q, want it to end with ok", out)
	}
}

// A container's RLIMIT_AS applies before seccomp is loaded; libseccomp
// allocates while loading and failed with ENOMEM under the 1 GiB limit of
// runtime-tools' process_rlimits test. Compile first, then Load, must work
// even when no memory at all can be mapped.
func TestLoadUnderAddressSpaceLimit(t *testing.T) {
	testbundle.RequireRoot(t)
	profile, err := DefaultProfile(testbundle.Spec())
	if err != nil {
		t.Fatal(err)
	}
	_, st, out := startChild(t, childPlan{
		Seccomp: profile,
		LimitAS: 4 << 20, // far below what the Go child has mapped already
		Exec:    []string{testbundle.BusyboxPath, "echo", "ok"},
	})
	if !st.Success() || !strings.Contains(out, "ok") {
		t.Fatalf("load under RLIMIT_AS then exec: %v: %s", st, out)
	}
}

func TestLoadNotifyListener(t *testing.T) {
	testbundle.RequireRoot(t)
	sock := filepath.Join(t.TempDir(), "listener.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	agent := make(chan error, 1)
	go func() { agent <- answerOneNotification(ln, unix.EXDEV) }()
	res, st, out := startChild(t, childPlan{
		Seccomp: &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: sock,
			Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"getpriority"}, Action: specs.ActNotify},
			}},
		Listener: sock,
		Probes:   []probe{{Name: "notified", Kind: "getpriority", Arg0: unix.PRIO_PROCESS, Arg1: 4242}},
	})
	// Unblocks the agent's accept if the child never connected.
	ln.Close()
	if err := <-agent; err != nil {
		t.Fatalf("listener: %v (child: %v: %s)", err, st, out)
	}
	if !st.Success() {
		t.Fatalf("child failed: %v: %s", st, out)
	}
	wantErrno(t, res, "notified", unix.EXDEV, out)
}

// answerOneNotification plays the seccomp agent: it receives the state and
// fd, checks them, and answers one notification with errno.
func answerOneNotification(ln *net.UnixListener, errno syscall.Errno) error {
	conn, err := ln.AcceptUnix()
	if err != nil {
		return err
	}
	defer conn.Close()
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return &os.SyscallError{Syscall: "parsing SCM_RIGHTS", Err: err}
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return &os.SyscallError{Syscall: "parsing SCM_RIGHTS fds", Err: err}
	}
	defer unix.Close(fds[0])
	var state specs.ContainerProcessState
	if err := json.Unmarshal(buf[:n], &state); err != nil {
		return err
	}
	if len(state.Fds) != 1 || state.Fds[0] != specs.SeccompFdName || state.Pid == 0 || state.Metadata != "test" {
		return &os.SyscallError{Syscall: "unexpected state " + string(buf[:n]), Err: unix.EINVAL}
	}
	req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(fds[0]))
	if err != nil {
		return err
	}
	if name, _ := req.Data.Syscall.GetName(); name != "getpriority" || req.Data.Args[1] != 4242 {
		return &os.SyscallError{Syscall: "unexpected notification for " + name, Err: unix.EINVAL}
	}
	return libseccomp.NotifRespond(libseccomp.ScmpFd(fds[0]), &libseccomp.ScmpNotifResp{ID: req.ID, Error: int32(errno)})
}

// addrNoRandomize is personality(2)'s ADDR_NO_RANDOMIZE, which the default
// profile does not allow.
const addrNoRandomize = 0x0040000
