package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ErrNoExecutable is wrapped when process.args[0] cannot be found or run in
// the container (runc prints it and a shell would exit 127).
var ErrNoExecutable = errors.New("executable file not found")

// Clone flags of the namespaces (CLONE_NEWTIME is not in syscall).
const (
	cloneNewPID    = unix.CLONE_NEWPID
	cloneNewNet    = unix.CLONE_NEWNET
	cloneNewNS     = unix.CLONE_NEWNS
	cloneNewIPC    = unix.CLONE_NEWIPC
	cloneNewUTS    = unix.CLONE_NEWUTS
	cloneNewUser   = unix.CLONE_NEWUSER
	cloneNewCgroup = unix.CLONE_NEWCGROUP
	cloneNewTime   = unix.CLONE_NEWTIME
)

var rlimitByName = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK": unix.RLIMIT_STACK,
}

// capByName maps "CAP_CHOWN" to its capability.Cap.
func capByName(name string) (capability.Cap, bool) {
	for _, c := range capability.ListKnown() {
		if "CAP_"+strings.ToUpper(c.String()) == name {
			return c, true
		}
	}
	return 0, false
}

func validateCaps(c *specs.LinuxCapabilities) error {
	sets := map[string][]string{"bounding": c.Bounding, "effective": c.Effective, "permitted": c.Permitted,
		"inheritable": c.Inheritable, "ambient": c.Ambient}
	for set, names := range sets {
		for i, n := range names {
			if _, ok := capByName(n); !ok {
				return invalid(fmt.Sprintf("process.capabilities.%s[%d]", set, i), "unknown capability %q", n)
			}
		}
	}
	return nil
}

// setRlimits applies the spec's limits as given: a limit the host refuses
// (raising a hard limit needs CAP_SYS_RESOURCE) is an error naming it.
func setRlimits(rls []specs.POSIXRlimit) error {
	for _, rl := range rls {
		res := rlimitByName[rl.Type]
		lim := unix.Rlimit{Cur: rl.Soft, Max: rl.Hard}
		if err := unix.Prlimit(0, res, &lim, nil); err != nil {
			return fmt.Errorf("setting %s to soft %d hard %d: %w", rl.Type, rl.Soft, rl.Hard, err)
		}
	}
	return nil
}

func setOOMScoreAdj(p *specs.Process) error {
	if p.OOMScoreAdj == nil {
		return nil
	}
	v := strconv.Itoa(*p.OOMScoreAdj)
	if err := os.WriteFile("/proc/self/oom_score_adj", []byte(v), 0); err != nil {
		return fmt.Errorf("setting process.oomScoreAdj to %s: %w", v, err)
	}
	return nil
}

// capsFor builds the capability state the process must end with.
func capsFor(c *specs.LinuxCapabilities) (capability.Capabilities, error) {
	caps, err := capability.NewPid2(0)
	if err != nil {
		return nil, fmt.Errorf("reading capabilities: %w", err)
	}
	caps.Clear(capability.CAPS | capability.BOUNDS | capability.AMBS)
	if c == nil {
		return caps, nil
	}
	last, err := capability.LastCap()
	if err != nil {
		return nil, err
	}
	sets := []struct {
		which capability.CapType
		names []string
	}{{capability.BOUNDING, c.Bounding}, {capability.EFFECTIVE, c.Effective},
		{capability.PERMITTED, c.Permitted}, {capability.INHERITABLE, c.Inheritable}, {capability.AMBIENT, c.Ambient}}
	for _, s := range sets {
		for _, n := range s.names {
			// Capabilities the running kernel does not know are skipped, as
			// runc does, so one config serves older kernels.
			if cp, ok := capByName(n); ok && cp <= last {
				caps.Set(s.which, cp)
			}
		}
	}
	return caps, nil
}

// switchUser drops the bounding set, changes groups, gid and uid keeping
// the permitted capabilities across setuid (PR_SET_KEEPCAPS), then applies
// the capability sets. With keepAdmin, CAP_SYS_ADMIN stays effective on
// top of them until dropCaps: loading seccomp without noNewPrivileges
// needs it, and that load comes last. Capabilities are per thread: the
// caller runs on a locked OS thread, the one that execs. It returns the
// final sets for dropCaps.
func switchUser(p *specs.Process, keepAdmin bool) (capability.Capabilities, error) {
	caps, err := capsFor(p.Capabilities)
	if err != nil {
		return nil, err
	}
	if err := caps.Apply(capability.BOUNDS); err != nil {
		return nil, fmt.Errorf("dropping bounding capabilities: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return nil, &os.SyscallError{Syscall: "prctl(PR_SET_KEEPCAPS)", Err: err}
	}
	if err := setIDs(p.User); err != nil {
		return nil, err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return nil, &os.SyscallError{Syscall: "prctl(PR_SET_KEEPCAPS)", Err: err}
	}
	interim := caps
	if keepAdmin {
		if interim, err = capsFor(p.Capabilities); err != nil {
			return nil, err
		}
		interim.Set(capability.EFFECTIVE|capability.PERMITTED, capability.CAP_SYS_ADMIN)
	}
	if err := interim.Apply(capability.CAPS); err != nil {
		return nil, fmt.Errorf("applying process.capabilities: %w", err)
	}
	return caps, nil
}

// dropCaps applies the final capability sets (dropping a CAP_SYS_ADMIN
// kept by switchUser) and raises the ambient ones.
func dropCaps(caps capability.Capabilities) error {
	if err := caps.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("applying process.capabilities: %w", err)
	}
	return raiseAmbient(caps)
}

func setIDs(u specs.User) error {
	gids := make([]int, len(u.AdditionalGids))
	for i, g := range u.AdditionalGids {
		gids[i] = int(g)
	}
	if err := unix.Setgroups(gids); err != nil && !(len(gids) == 0 && errors.Is(err, unix.EPERM)) {
		return fmt.Errorf("setting process.user.additionalGids %v: %w", u.AdditionalGids, err)
	}
	if err := unix.Setresgid(int(u.GID), int(u.GID), int(u.GID)); err != nil {
		return fmt.Errorf("setting process.user.gid %d: %w", u.GID, err)
	}
	if err := unix.Setresuid(int(u.UID), int(u.UID), int(u.UID)); err != nil {
		return fmt.Errorf("setting process.user.uid %d: %w", u.UID, err)
	}
	return nil
}

// raiseAmbient raises the ambient set. A capability missing from the
// inheritable or permitted set cannot be raised; like runc, that is
// skipped rather than fatal (`runc spec` lists ambient caps without
// inheritable ones).
func raiseAmbient(caps capability.Capabilities) error {
	if err := capability.ResetAmbient(); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("resetting ambient capabilities: %w", err)
	}
	for _, cp := range capability.ListKnown() {
		if caps.Get(capability.AMBIENT, cp) {
			_ = capability.SetAmbient(true, cp)
		}
	}
	return nil
}

// enterCwd changes to process.cwd and verifies that the result is inside the
// container's root: a cwd reached through a leaked host fd
// (/proc/self/fd/N, CVE-2024-21626) is outside it, and getcwd(2) then
// reports "(unreachable)" instead of an absolute path.
func enterCwd(cwd string) error {
	if err := unix.Chdir(cwd); err != nil {
		return fmt.Errorf("process.cwd %q: %w", cwd, &os.PathError{Op: "chdir", Path: cwd, Err: err})
	}
	wd, err := unix.Getwd()
	if err != nil || !strings.HasPrefix(wd, "/") {
		return fmt.Errorf("%w: process.cwd %q is outside the container root", ErrInvalid, cwd)
	}
	return nil
}

// closeExtraFDs marks every fd from first up close-on-exec, so nothing the
// runtime holds (sync socket, binary, host directories) reaches the
// container process (CVE-2024-21626).
func closeExtraFDs(first int) error {
	err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	// Before Linux 5.11: walk /proc/self/fd.
	ents, rerr := os.ReadDir("/proc/self/fd")
	if rerr != nil {
		return fmt.Errorf("closing inherited fds: %w", err)
	}
	for _, e := range ents {
		if fd, _ := strconv.Atoi(e.Name()); fd >= first {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}

// lookPath resolves args[0] the way execvp does, with the container's PATH.
func lookPath(name string, env []string) (string, error) {
	check := func(p string) error {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return unix.EACCES
		}
		return nil
	}
	if strings.Contains(name, "/") {
		if err := check(name); err != nil {
			return "", fmt.Errorf("%w: exec %q: %w", ErrNoExecutable, name, err)
		}
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if check(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: exec %q: not found in $PATH", ErrNoExecutable, name)
}

// userArgs returns the argv of the process (commandLine is Windows only).
func userArgs(p *specs.Process) []string { return p.Args }

// userEnv is process.env plus HOME when it is missing, taken from the
// container's /etc/passwd for the uid or "/" (runc and docker do the same).
func userEnv(p *specs.Process) []string {
	for _, e := range p.Env {
		if strings.HasPrefix(e, "HOME=") {
			return p.Env
		}
	}
	home := "/"
	if data, err := os.ReadFile("/etc/passwd"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Split(line, ":")
			if len(f) >= 6 && f[2] == strconv.Itoa(int(p.User.UID)) && f[5] != "" {
				home = f[5]
				break
			}
		}
	}
	return append(append([]string{}, p.Env...), "HOME="+home)
}
