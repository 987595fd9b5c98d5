//go:build linux && cgo

package seccomp

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// scmpArchs maps runtime-spec architecture names to libseccomp's. Only
// constants: building it costs no libseccomp call.
var scmpArchs = map[specs.Arch]libseccomp.ScmpArch{
	specs.ArchX86: libseccomp.ArchX86, specs.ArchX86_64: libseccomp.ArchAMD64,
	specs.ArchX32: libseccomp.ArchX32, specs.ArchARM: libseccomp.ArchARM,
	specs.ArchAARCH64: libseccomp.ArchARM64, specs.ArchMIPS: libseccomp.ArchMIPS,
	specs.ArchMIPS64: libseccomp.ArchMIPS64, specs.ArchMIPS64N32: libseccomp.ArchMIPS64N32,
	specs.ArchMIPSEL: libseccomp.ArchMIPSEL, specs.ArchMIPSEL64: libseccomp.ArchMIPSEL64,
	specs.ArchMIPSEL64N32: libseccomp.ArchMIPSEL64N32, specs.ArchPPC: libseccomp.ArchPPC,
	specs.ArchPPC64: libseccomp.ArchPPC64, specs.ArchPPC64LE: libseccomp.ArchPPC64LE,
	specs.ArchS390: libseccomp.ArchS390, specs.ArchS390X: libseccomp.ArchS390X,
	specs.ArchPARISC: libseccomp.ArchPARISC, specs.ArchPARISC64: libseccomp.ArchPARISC64,
	specs.ArchRISCV64: libseccomp.ArchRISCV64, specs.ArchLOONGARCH64: libseccomp.ArchLOONGARCH64,
	specs.ArchM68K: libseccomp.ArchM68K, specs.ArchSH: libseccomp.ArchSH,
	specs.ArchSHEB: libseccomp.ArchSHEB,
}

var scmpOps = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual: libseccomp.CompareNotEqual, specs.OpLessThan: libseccomp.CompareLess,
	specs.OpLessEqual: libseccomp.CompareLessOrEqual, specs.OpEqualTo: libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual, specs.OpGreaterThan: libseccomp.CompareGreater,
	specs.OpMaskedEqual: libseccomp.CompareMaskedEqual,
}

// Load compiles cfg to BPF and loads it into the calling process (with
// TSYNC, so every thread gets it; the caller holds runtime.LockOSThread and
// execs right after). A nil cfg loads nothing. A cfg that uses
// SCMP_ACT_NOTIFY must go through LoadNotify, which returns the listener fd.
func Load(cfg *specs.LinuxSeccomp) error {
	if err := Validate(cfg); err != nil {
		return err
	}
	if cfg != nil && usesNotify(cfg) {
		return fmt.Errorf("linux.seccomp uses SCMP_ACT_NOTIFY: load it with LoadNotify to get the listener fd: %w", ErrUnsupported)
	}
	f, err := LoadNotify(cfg)
	if f != nil {
		f.Close()
	}
	return err
}

// LoadNotify is Load for configurations that may use SCMP_ACT_NOTIFY. It
// returns the filter's user-notification fd (close-on-exec), or nil when no
// rule notifies. The caller hands the fd to the runtime outside the
// container (the init has pivoted root and cannot reach listenerPath), which
// passes it on with SendToListener, as runc does.
func LoadNotify(cfg *specs.LinuxSeccomp) (*os.File, error) {
	if cfg == nil {
		return nil, nil
	}
	filter, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	defer filter.Release()
	if err := filter.Load(); err != nil {
		if errors.Is(err, unix.EACCES) {
			// The kernel's rule: a filter needs no_new_privs or CAP_SYS_ADMIN.
			return nil, fmt.Errorf("loading seccomp filter (set no_new_privs or keep CAP_SYS_ADMIN until loaded): %w", err)
		}
		return nil, fmt.Errorf("loading seccomp filter: %w", err)
	}
	if !usesNotify(cfg) {
		return nil, nil
	}
	fd, err := filter.GetNotifFd()
	if err != nil {
		return nil, fmt.Errorf("getting seccomp notify fd: %w", err)
	}
	// Dup it: libseccomp keeps the number in its own state and may close
	// it when that state is reset.
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, &os.SyscallError{Syscall: "fcntl(F_DUPFD_CLOEXEC) seccomp notify fd", Err: err}
	}
	return os.NewFile(uintptr(dup), "seccomp-notify"), nil
}

// compile validates cfg and builds the libseccomp filter (not loaded).
func compile(cfg *specs.LinuxSeccomp) (_ *libseccomp.ScmpFilter, retErr error) {
	if err := Validate(cfg); err != nil {
		return nil, err
	}
	def := scmpAction(cfg.DefaultAction, cfg.DefaultErrnoRet)
	filter, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, fmt.Errorf("creating seccomp filter (default action %s): %w", cfg.DefaultAction, err)
	}
	defer func() {
		if retErr != nil {
			filter.Release()
		}
	}()
	// no_new_privs belongs to process.noNewPrivileges, not to seccomp:
	// libseccomp would otherwise set it on every load.
	if err := filter.SetNoNewPrivsBit(false); err != nil {
		return nil, fmt.Errorf("clearing seccomp no_new_privs attribute: %w", err)
	}
	// Without raw return codes libseccomp 2.5 turns every kernel refusal
	// into ECANCELED; ignore failure on libseccomp older than API 4.
	_ = filter.SetRawRC(true)
	if err := addArchs(filter, cfg.Architectures); err != nil {
		return nil, err
	}
	if err := setFlags(filter, cfg.Flags); err != nil {
		return nil, err
	}
	for i, sc := range cfg.Syscalls {
		if err := addRule(filter, def, fmt.Sprintf("linux.seccomp.syscalls[%d]", i), sc); err != nil {
			return nil, err
		}
	}
	return filter, nil
}

// scmpAction maps a validated action; ERRNO and TRACE default to EPERM.
func scmpAction(a specs.LinuxSeccompAction, ret *uint) libseccomp.ScmpAction {
	code := int16(unix.EPERM)
	if ret != nil {
		code = int16(*ret)
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return libseccomp.ActKillThread
	case specs.ActKillProcess:
		return libseccomp.ActKillProcess
	case specs.ActTrap:
		return libseccomp.ActTrap
	case specs.ActErrno:
		return libseccomp.ActErrno.SetReturnCode(code)
	case specs.ActTrace:
		return libseccomp.ActTrace.SetReturnCode(code)
	case specs.ActAllow:
		return libseccomp.ActAllow
	case specs.ActLog:
		return libseccomp.ActLog
	case specs.ActNotify:
		return libseccomp.ActNotify
	}
	return libseccomp.ActInvalid
}

func addArchs(filter *libseccomp.ScmpFilter, archs []specs.Arch) error {
	for i, a := range archs {
		// AddArch accepts an architecture already present (the native one).
		if err := filter.AddArch(scmpArchs[a]); err != nil {
			return fmt.Errorf("linux.seccomp.architectures[%d]: adding %s: %w: %w", i, a, ErrUnsupported, err)
		}
	}
	return nil
}

func setFlags(filter *libseccomp.ScmpFilter, flags []specs.LinuxSeccompFlag) error {
	for i, fl := range flags {
		var err error
		switch fl {
		case flagTsync:
			// libseccomp always synchronises threads on load.
		case specs.LinuxSeccompFlagLog:
			err = filter.SetLogBit(true)
		case specs.LinuxSeccompFlagSpecAllow:
			err = filter.SetSSB(true)
		case specs.LinuxSeccompFlagWaitKillableRecv:
			err = filter.SetWaitKill(true)
		}
		if err != nil {
			return fmt.Errorf("linux.seccomp.flags[%d]: setting %s: %w: %w", i, fl, ErrUnsupported, err)
		}
	}
	return nil
}

func addRule(filter *libseccomp.ScmpFilter, def libseccomp.ScmpAction, field string, sc specs.LinuxSyscall) error {
	act := scmpAction(sc.Action, sc.ErrnoRet)
	if act == def {
		// libseccomp refuses a rule that repeats the default action, and
		// the rule would change nothing anyway.
		return nil
	}
	conds, err := conditions(field, sc.Args)
	if err != nil {
		return err
	}
	for j, name := range sc.Names {
		call, err := libseccomp.GetSyscallFromName(name)
		if err != nil {
			// Unknown to this libseccomp: the kernel cannot have it either
			// as far as the filter can tell; runc skips these too.
			continue
		}
		if err := addCall(filter, call, act, conds); err != nil {
			return fmt.Errorf("%s.names[%d]: adding rule for %q: %w", field, j, name, err)
		}
	}
	return nil
}

func conditions(field string, args []specs.LinuxSeccompArg) ([]libseccomp.ScmpCondition, error) {
	conds := make([]libseccomp.ScmpCondition, 0, len(args))
	for k, a := range args {
		values := []uint64{a.Value}
		if a.Op == specs.OpMaskedEqual {
			// libseccomp's datum_a is the mask, datum_b the value compared
			// with (arg & mask): the spec's value and valueTwo, in order.
			values = append(values, a.ValueTwo)
		}
		c, err := libseccomp.MakeCondition(a.Index, scmpOps[a.Op], values...)
		if err != nil {
			return nil, fmt.Errorf("%s.args[%d]: %w: %w", field, k, ErrInvalid, err)
		}
		conds = append(conds, c)
	}
	return conds, nil
}

// addCall adds one syscall's rule. Conditions on distinct arguments are
// ANDed in one rule. libseccomp cannot AND two conditions on the same
// argument, so then each condition becomes its own rule (ORed), as runc does.
func addCall(filter *libseccomp.ScmpFilter, call libseccomp.ScmpSyscall, act libseccomp.ScmpAction, conds []libseccomp.ScmpCondition) error {
	if len(conds) == 0 {
		return filter.AddRule(call, act)
	}
	if !repeatsArg(conds) {
		return filter.AddRuleConditional(call, act, conds)
	}
	for _, c := range conds {
		if err := filter.AddRuleConditional(call, act, []libseccomp.ScmpCondition{c}); err != nil {
			return err
		}
	}
	return nil
}

func repeatsArg(conds []libseccomp.ScmpCondition) bool {
	seen := map[uint]bool{}
	for _, c := range conds {
		if seen[c.Argument] {
			return true
		}
		seen[c.Argument] = true
	}
	return false
}

// errNoFilter is what seccomp(2) with a NULL program returns for a flag the
// kernel knows (it fails on reading the program, after checking flags).
var errNoFilter = unix.EFAULT

// kernelHasFlag probes a filter flag without installing anything.
func kernelHasFlag(flag uintptr) bool {
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flag, 0)
	return errors.Is(errno, errNoFilter)
}
