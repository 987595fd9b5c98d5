//go:build linux && cgo

package seccomp

import (
	"errors"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/onggi/onggi/internal/testbundle"
)

func TestCompileDefaultProfile(t *testing.T) {
	p, err := DefaultProfile(testbundle.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if p.DefaultAction != specs.ActErrno || len(p.Syscalls) == 0 {
		t.Fatalf("default profile: default action %s, %d rules", p.DefaultAction, len(p.Syscalls))
	}
	f, err := Compile(p)
	if err != nil {
		t.Fatalf("compiling the default profile: %v", err)
	}
	// Hundreds of rules: far more than the few instructions of an empty
	// filter, and within the kernel's limit.
	if n := len(f.prog); n < 100 || n > bpfMaxInsns {
		t.Fatalf("default profile compiled to %d BPF instructions", n)
	}
	if f.flags&unix.SECCOMP_FILTER_FLAG_TSYNC == 0 || f.notify {
		t.Errorf("default profile flags %#x, notify %v: want TSYNC and no listener", f.flags, f.notify)
	}
}

func TestCompileNil(t *testing.T) {
	f, err := Compile(nil)
	if f != nil || err != nil {
		t.Fatalf("Compile(nil) = %v, %v", f, err)
	}
	if fd, err := f.Load(); fd != nil || err != nil {
		t.Fatalf("nil Filter Load = %v, %v", fd, err)
	}
}

func TestKernelFlags(t *testing.T) {
	all := []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv}
	if got, want := kernelFlags(all, false), uintptr(unix.SECCOMP_FILTER_FLAG_TSYNC|unix.SECCOMP_FILTER_FLAG_LOG|unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW); got != want {
		t.Errorf("without listener: %#x, want %#x", got, want)
	}
	want := uintptr(unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER |
		unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW | unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
	if got := kernelFlags(all, true); got != want {
		t.Errorf("with listener: %#x, want %#x", got, want)
	}
}

func TestCompileRejectsInvalid(t *testing.T) {
	_, err := compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"getcwd"}, Action: "SCMP_ACT_FOO"},
	}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("compile with unknown action: %v, want ErrInvalid", err)
	}
}

func TestLoadRefusesNotifyWithoutLoadNotify(t *testing.T) {
	err := Load(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/nonexistent.sock",
		Syscalls: []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActNotify}}})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Load with NOTIFY: %v, want ErrUnsupported (and nothing loaded)", err)
	}
}

func TestFeatures(t *testing.T) {
	f := Features()
	if f.Enabled == nil || !*f.Enabled {
		t.Fatal("seccomp not enabled")
	}
	for _, want := range []string{"SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_NOTIFY"} {
		if !slices.Contains(f.Actions, want) {
			t.Errorf("actions %v lack %s", f.Actions, want)
		}
	}
	if !slices.Contains(f.Operators, "SCMP_CMP_MASKED_EQ") {
		t.Errorf("operators %v lack SCMP_CMP_MASKED_EQ", f.Operators)
	}
	// S390X is big-endian: it must be listed although it cannot share a filter with x86.
	for _, want := range []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_S390X"} {
		if !slices.Contains(f.Archs, want) {
			t.Errorf("archs %v lack %s", f.Archs, want)
		}
	}
	if len(f.KnownFlags) != len(knownFlags) {
		t.Errorf("known flags %v", f.KnownFlags)
	}
	for _, want := range []string{"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"} {
		if !slices.Contains(f.SupportedFlags, want) {
			t.Errorf("supported flags %v lack %s (kernel 4.14+ has both)", f.SupportedFlags, want)
		}
	}
}

func TestDefaultProfileWithoutProcess(t *testing.T) {
	for _, spec := range []*specs.Spec{nil, {}, {Process: &specs.Process{}}} {
		p, err := DefaultProfile(spec)
		if err != nil || p == nil || len(p.Syscalls) == 0 {
			t.Fatalf("DefaultProfile(%+v) = %v, %v", spec, p, err)
		}
	}
}
