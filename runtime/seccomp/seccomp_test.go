package seccomp

import (
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func uptr(v uint) *uint { return &v }

func TestValidate(t *testing.T) {
	ok := func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActErrno,
			Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
			Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, "SECCOMP_FILTER_FLAG_TSYNC"},
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"read", "write"}, Action: specs.ActAllow},
				{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 8, Op: specs.OpEqualTo}}},
				{Names: []string{"clone"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0x7e020000, ValueTwo: 0, Op: specs.OpMaskedEqual}}},
				{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: uptr(18)},
				{Names: []string{"no_such_syscall_yet"}, Action: specs.ActKill},
			},
		}
	}
	tests := []struct {
		name   string
		mutate func(*specs.LinuxSeccomp)
		want   string // substring of the error; "" means valid
	}{
		{"valid", func(*specs.LinuxSeccomp) {}, ""},
		{"unknown syscall names are fine", func(c *specs.LinuxSeccomp) { c.Syscalls[0].Names = []string{"frobnicate"} }, ""},
		{"default errnoRet", func(c *specs.LinuxSeccomp) { c.DefaultErrnoRet = uptr(38) }, ""},
		{"notify with listener", func(c *specs.LinuxSeccomp) {
			c.ListenerPath = "/run/agent.sock"
			c.Syscalls[3].Action, c.Syscalls[3].ErrnoRet = specs.ActNotify, nil
		}, ""},
		{"missing default", func(c *specs.LinuxSeccomp) { c.DefaultAction = "" }, "linux.seccomp.defaultAction: missing"},
		{"unknown default", func(c *specs.LinuxSeccomp) { c.DefaultAction = "SCMP_ACT_NOPE" }, `linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"`},
		{"notify default", func(c *specs.LinuxSeccomp) { c.DefaultAction = specs.ActNotify }, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default"},
		{"default errnoRet with allow", func(c *specs.LinuxSeccomp) { c.DefaultAction, c.DefaultErrnoRet = specs.ActAllow, uptr(1) }, "linux.seccomp.defaultErrnoRet: only valid"},
		{"unknown arch", func(c *specs.LinuxSeccomp) { c.Architectures[1] = "SCMP_ARCH_Z80" }, `linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80"`},
		{"unknown flag", func(c *specs.LinuxSeccomp) { c.Flags = append(c.Flags, "SECCOMP_FILTER_FLAG_FAST") }, `linux.seccomp.flags[2]: unknown flag "SECCOMP_FILTER_FLAG_FAST"`},
		{"unknown action", func(c *specs.LinuxSeccomp) { c.Syscalls[3].Action = "SCMP_ACT_FOO" }, `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`},
		{"missing action", func(c *specs.LinuxSeccomp) { c.Syscalls[0].Action = "" }, "linux.seccomp.syscalls[0].action: missing"},
		{"no names", func(c *specs.LinuxSeccomp) { c.Syscalls[0].Names = nil }, "linux.seccomp.syscalls[0].names: must name at least one"},
		{"empty name", func(c *specs.LinuxSeccomp) { c.Syscalls[0].Names[1] = "" }, "linux.seccomp.syscalls[0].names[1]: empty"},
		{"unknown operator", func(c *specs.LinuxSeccomp) { c.Syscalls[1].Args[0].Op = "SCMP_CMP_ALMOST" }, `linux.seccomp.syscalls[1].args[0].op: unknown operator "SCMP_CMP_ALMOST"`},
		{"arg index", func(c *specs.LinuxSeccomp) { c.Syscalls[2].Args[0].Index = 6 }, "linux.seccomp.syscalls[2].args[0].index: 6 out of range"},
		{"errnoRet with allow", func(c *specs.LinuxSeccomp) { c.Syscalls[0].ErrnoRet = uptr(1) }, "linux.seccomp.syscalls[0].errnoRet: only valid"},
		{"errnoRet too big", func(c *specs.LinuxSeccomp) { c.Syscalls[3].ErrnoRet = uptr(1 << 20) }, "linux.seccomp.syscalls[3].errnoRet: 1048576 out of range"},
		{"notify without listener", func(c *specs.LinuxSeccomp) { c.Syscalls[3].Action, c.Syscalls[3].ErrnoRet = specs.ActNotify, nil }, "linux.seccomp.listenerPath: required"},
		{"notify on write", func(c *specs.LinuxSeccomp) {
			c.ListenerPath = "/run/agent.sock"
			c.Syscalls[0].Action = specs.ActNotify
		}, "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok()
			tt.mutate(cfg)
			err := Validate(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate error %q does not contain %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestValidateNil(t *testing.T) {
	if err := Validate(nil); err != nil {
		t.Fatalf("Validate(nil) = %v", err)
	}
}
