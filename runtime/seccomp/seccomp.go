package seccomp

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrInvalid classifies every error about a malformed `linux.seccomp`
// section (unknown action, operator, architecture or flag, bad argument
// index, NOTIFY without a listener, ...). Test with errors.Is.
var ErrInvalid = errors.New("invalid seccomp configuration")

// ErrUnsupported classifies a valid configuration that this host cannot
// honour: a flag or architecture the kernel or libseccomp lacks, or a build
// without cgo.
var ErrUnsupported = errors.New("seccomp feature not supported on this host")

// FieldError is a configuration error naming the offending field, e.g.
// `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`.
// It matches ErrInvalid under errors.Is.
type FieldError struct {
	Field string // JSON path from the config root, e.g. linux.seccomp.syscalls[3].action
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// flagTsync is not in runtime-spec's constants but runc and crun accept it:
// libseccomp always loads with TSYNC, so it is a no-op here too.
const flagTsync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

// knownActions, knownOperators and knownFlags are plain tables so Validate
// needs no libseccomp call.
var knownActions = []specs.LinuxSeccompAction{
	specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap, specs.ActErrno,
	specs.ActTrace, specs.ActAllow, specs.ActLog, specs.ActNotify,
}

var knownOperators = []specs.LinuxSeccompOperator{
	specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
	specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual,
}

var knownFlags = []specs.LinuxSeccompFlag{
	flagTsync, specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagLog,
	specs.LinuxSeccompFlagWaitKillableRecv,
}

// knownArchs lists runtime-spec's architecture names in a stable order.
var knownArchs = []specs.Arch{
	specs.ArchX86, specs.ArchX86_64, specs.ArchX32, specs.ArchARM, specs.ArchAARCH64,
	specs.ArchMIPS, specs.ArchMIPS64, specs.ArchMIPS64N32, specs.ArchMIPSEL,
	specs.ArchMIPSEL64, specs.ArchMIPSEL64N32, specs.ArchPPC, specs.ArchPPC64,
	specs.ArchPPC64LE, specs.ArchS390, specs.ArchS390X, specs.ArchPARISC,
	specs.ArchPARISC64, specs.ArchRISCV64, specs.ArchLOONGARCH64, specs.ArchM68K,
	specs.ArchSH, specs.ArchSHEB,
}

// maxRet is the largest return code an action carries: libseccomp stores
// it in the 16-bit data field of the filter's return value (as an int16).
const maxRet = 1<<15 - 1

// maxArgs is the number of syscall arguments seccomp can inspect.
const maxArgs = 6

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// takesErrno reports whether an action carries a return code (errnoRet).
func takesErrno(a specs.LinuxSeccompAction) bool {
	return a == specs.ActErrno || a == specs.ActTrace
}

// Validate checks cfg without touching libseccomp or the kernel. A nil cfg
// is valid (no filter). Errors are *FieldError values wrapping ErrInvalid.
// Syscall names are not checked: unknown ones are skipped at load time, as
// runc does, because a profile may name syscalls newer than this kernel.
func Validate(cfg *specs.LinuxSeccomp) error {
	if cfg == nil {
		return nil
	}
	const base = "linux.seccomp"
	switch {
	case cfg.DefaultAction == "":
		return invalid(base+".defaultAction", "missing")
	case !contains(knownActions, cfg.DefaultAction):
		return invalid(base+".defaultAction", "unknown action %q", cfg.DefaultAction)
	case cfg.DefaultAction == specs.ActNotify:
		// The notifying process would be the container init itself, which
		// cannot answer its own notifications before it hands the fd over.
		return invalid(base+".defaultAction", "SCMP_ACT_NOTIFY cannot be the default action")
	case cfg.DefaultErrnoRet != nil && !takesErrno(cfg.DefaultAction):
		return invalid(base+".defaultErrnoRet", "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", cfg.DefaultAction)
	case cfg.DefaultErrnoRet != nil && *cfg.DefaultErrnoRet > maxRet:
		return invalid(base+".defaultErrnoRet", "%d out of range (at most %d)", *cfg.DefaultErrnoRet, maxRet)
	}
	for i, a := range cfg.Architectures {
		if !contains(knownArchs, a) {
			return invalid(fmt.Sprintf("%s.architectures[%d]", base, i), "unknown architecture %q", a)
		}
	}
	for i, f := range cfg.Flags {
		if !contains(knownFlags, f) {
			return invalid(fmt.Sprintf("%s.flags[%d]", base, i), "unknown flag %q", f)
		}
	}
	notify := false
	for i, sc := range cfg.Syscalls {
		if err := validateSyscall(fmt.Sprintf("%s.syscalls[%d]", base, i), sc); err != nil {
			return err
		}
		notify = notify || sc.Action == specs.ActNotify
	}
	if notify && cfg.ListenerPath == "" {
		return invalid(base+".listenerPath", "required when a rule uses SCMP_ACT_NOTIFY")
	}
	return nil
}

func validateSyscall(field string, sc specs.LinuxSyscall) error {
	if len(sc.Names) == 0 {
		return invalid(field+".names", "must name at least one syscall")
	}
	for j, name := range sc.Names {
		if name == "" {
			return invalid(fmt.Sprintf("%s.names[%d]", field, j), "empty syscall name")
		}
		// The container init writes to its sync pipe after loading the
		// filter; a notified write would wait for a listener that has no
		// fd yet. runc refuses this for the same reason.
		if name == "write" && sc.Action == specs.ActNotify {
			return invalid(fmt.Sprintf("%s.names[%d]", field, j), "SCMP_ACT_NOTIFY cannot be used for write")
		}
	}
	if sc.Action == "" {
		return invalid(field+".action", "missing")
	}
	if !contains(knownActions, sc.Action) {
		return invalid(field+".action", "unknown action %q", sc.Action)
	}
	if sc.ErrnoRet != nil && !takesErrno(sc.Action) {
		return invalid(field+".errnoRet", "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", sc.Action)
	}
	if sc.ErrnoRet != nil && *sc.ErrnoRet > maxRet {
		return invalid(field+".errnoRet", "%d out of range (at most %d)", *sc.ErrnoRet, maxRet)
	}
	for k, arg := range sc.Args {
		af := fmt.Sprintf("%s.args[%d]", field, k)
		if arg.Index >= maxArgs {
			return invalid(af+".index", "%d out of range (syscalls have %d arguments)", arg.Index, maxArgs)
		}
		if !contains(knownOperators, arg.Op) {
			return invalid(af+".op", "unknown operator %q", arg.Op)
		}
	}
	return nil
}

// usesNotify reports whether any rule of cfg uses SCMP_ACT_NOTIFY.
func usesNotify(cfg *specs.LinuxSeccomp) bool {
	for _, sc := range cfg.Syscalls {
		if sc.Action == specs.ActNotify {
			return true
		}
	}
	return false
}
