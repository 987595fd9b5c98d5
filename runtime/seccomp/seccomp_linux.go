//go:build linux && cgo

package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"

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
	f, err := Compile(cfg)
	if err != nil {
		return err
	}
	_, err = f.Load()
	return err
}

// LoadNotify is Load for configurations that may use SCMP_ACT_NOTIFY. It
// returns the filter's user-notification fd (close-on-exec), or nil when no
// rule notifies. The caller hands the fd to the runtime outside the
// container (the init has pivoted root and cannot reach listenerPath), which
// passes it on with SendToListener, as runc does.
func LoadNotify(cfg *specs.LinuxSeccomp) (*os.File, error) {
	f, err := Compile(cfg)
	if err != nil {
		return nil, err
	}
	return f.Load()
}

// Compile validates cfg and turns it into a BPF program, without loading
// it. A nil cfg gives a nil *Filter, whose Load does nothing. All of
// libseccomp's work (and memory) is spent here, so a container init can
// compile before it applies process.rlimits (RLIMIT_AS, RLIMIT_DATA) and
// load afterwards with a single seccomp(2) call that cannot run out of
// memory.
func Compile(cfg *specs.LinuxSeccomp) (*Filter, error) {
	if cfg == nil {
		return nil, nil
	}
	lf, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	defer lf.Release()
	prog, err := exportBPF(lf)
	if err != nil {
		return nil, err
	}
	notify := usesNotify(cfg)
	return &Filter{prog: prog, flags: kernelFlags(cfg.Flags, notify), notify: notify}, nil
}

// Filter is a compiled seccomp program with its seccomp(2) flags.
type Filter struct {
	prog   []unix.SockFilter
	flags  uintptr
	notify bool
}

// Load installs the filter in the calling process with seccomp(2) (TSYNC:
// every thread). It returns the user-notification fd (close-on-exec) when
// a rule uses SCMP_ACT_NOTIFY, nil otherwise. Load allocates nothing.
// Like runc, it never sets no_new_privs: without it the caller needs
// CAP_SYS_ADMIN.
func (f *Filter) Load() (*os.File, error) {
	if f == nil {
		return nil, nil
	}
	prog := unix.SockFprog{Len: uint16(len(f.prog)), Filter: &f.prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, f.flags, uintptr(unsafe.Pointer(&prog)))
	switch {
	case errno == unix.EACCES:
		// The kernel's rule: a filter needs no_new_privs or CAP_SYS_ADMIN.
		return nil, &os.SyscallError{Syscall: "seccomp(SET_MODE_FILTER) (set no_new_privs or keep CAP_SYS_ADMIN until loaded)", Err: errno}
	case errno != 0:
		return nil, &os.SyscallError{Syscall: fmt.Sprintf("seccomp(SET_MODE_FILTER, flags %#x)", f.flags), Err: errno}
	case !f.notify && r != 0:
		// TSYNC without ESRCH reports the thread it could not sync.
		return nil, fmt.Errorf("seccomp(SET_MODE_FILTER): thread %d could not be synchronised", r)
	case f.notify:
		return os.NewFile(r, "seccomp-notify"), nil
	}
	return nil, nil
}

// kernelFlags maps the spec's flags to seccomp(2)'s. TSYNC is always on
// (libseccomp does the same); with a listener the kernel wants TSYNC_ESRCH
// too, so that a thread failing to sync is reported as ESRCH rather than
// by its id in the place of the listener fd.
func kernelFlags(flags []specs.LinuxSeccompFlag, notify bool) uintptr {
	bits := uintptr(unix.SECCOMP_FILTER_FLAG_TSYNC)
	if notify {
		bits |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	for _, fl := range flags {
		// The kernel refuses WAIT_KILLABLE_RECV without a listener, and it
		// means nothing then.
		if fl != specs.LinuxSeccompFlagWaitKillableRecv || notify {
			bits |= flagBits[fl]
		}
	}
	return bits
}

var flagBits = map[specs.LinuxSeccompFlag]uintptr{
	flagTsync:                              unix.SECCOMP_FILTER_FLAG_TSYNC,
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}

// exportBPF has libseccomp write the program it would load into a memfd
// (ExportBPFMem needs libseccomp 2.6; Debian 12 ships 2.5) and decodes it.
func exportBPF(lf *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	fd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, &os.SyscallError{Syscall: "memfd_create", Err: err}
	}
	mem := os.NewFile(uintptr(fd), "seccomp-bpf")
	defer mem.Close()
	if err := lf.ExportBPF(mem); err != nil {
		return nil, fmt.Errorf("exporting seccomp BPF: %w", err)
	}
	raw, err := io.ReadAll(io.NewSectionReader(mem, 0, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("reading seccomp BPF: %w", err)
	}
	return decodeProg(raw)
}

const insnSize = 8 // struct sock_filter

// decodeProg decodes a classic BPF program (struct sock_filter array).
func decodeProg(raw []byte) ([]unix.SockFilter, error) {
	n := len(raw) / insnSize
	if n == 0 || len(raw)%insnSize != 0 || n > bpfMaxInsns {
		return nil, fmt.Errorf("seccomp BPF program of %d bytes: want 1 to %d instructions of %d bytes", len(raw), bpfMaxInsns, insnSize)
	}
	prog := make([]unix.SockFilter, n)
	for i := range prog {
		b := raw[i*insnSize:]
		prog[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(b[0:]), Jt: b[2], Jf: b[3],
			K: binary.NativeEndian.Uint32(b[4:]),
		}
	}
	return prog, nil
}

// appendInsn encodes one instruction as decodeProg reads it.
func appendInsn(b []byte, in unix.SockFilter) []byte {
	b = binary.NativeEndian.AppendUint16(b, in.Code)
	b = append(b, in.Jt, in.Jf)
	return binary.NativeEndian.AppendUint32(b, in.K)
}

// libVersion names the libseccomp the program was compiled with.
func libVersion() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}

// bpfMaxInsns is the kernel's BPF_MAXINSNS for classic BPF programs.
const bpfMaxInsns = 4096

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
	// The filter is only exported, never loaded by libseccomp, so its
	// load-time attributes (no_new_privs, TSYNC, log) do not matter:
	// Filter.Load passes the flags to the kernel itself.
	if err := addArchs(filter, cfg.Architectures); err != nil {
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
