package runtime

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

	"github.com/onggi/onggi/runtime/nsenter"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// spawnOpts describes a helper process to start.
type spawnOpts struct {
	helper   string
	stdio    Stdio
	preserve int        // caller's fds 3..3+preserve-1 passed through
	extra    []*os.File // our fds, placed after the preserved ones
	// Fast path: namespaces created by Go's clone.
	cloneflags       uintptr
	uidMaps, gidMaps []syscall.SysProcIDMap
	// Slow path: nsenter's constructor joins/unshares (nil: fast path).
	ns           *nsenter.Config
	specUIDMaps  []specs.LinuxIDMapping
	specGIDMaps  []specs.LinuxIDMapping
	selfExe      string // binary to run; /proc/self/exe unless a test says otherwise
	noExeDefence bool   // tests only: run selfExe directly (CVE-2019-5736 test)
	// intoCgroup: the helper is born in the cgroup2 directory cgroupFD
	// (CLONE_INTO_CGROUP).
	intoCgroup bool
	cgroupFD   int
}

// spawned is a started helper: the process that lives on and the parent's
// end of its sync socket.
type spawned struct {
	proc   *os.Process
	sync   *os.File
	sc     *syncConn
	copies *sync.WaitGroup // stdio copies of non-file readers/writers
	fdBase int             // child fd number of extra[0]

	closeAfterStart []*os.File
}

// kill ends the helper and reaps it; for cleanup on failure.
func (s *spawned) kill() {
	if s.proc != nil {
		_ = s.proc.Kill()
		_, _ = s.proc.Wait()
	}
	if s.sync != nil {
		s.sync.Close()
	}
}

// spawn starts a helper. The helper runs from a copy of our binary the
// container cannot write (openSelfExe), with argv[0] naming the helper.
func spawn(o spawnOpts) (s *spawned, retErr error) {
	socks, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &os.SyscallError{Syscall: "socketpair", Err: err}
	}
	parent, child := os.NewFile(uintptr(socks[0]), "sync"), os.NewFile(uintptr(socks[1]), "sync-child")
	defer child.Close()
	s = &spawned{sync: parent, sc: newSyncConn(parent), copies: &sync.WaitGroup{}}
	defer func() {
		if retErr != nil {
			s.kill()
		}
	}()
	self := o.selfExe
	if self == "" {
		self = "/proc/self/exe"
	}
	files := make([]*os.File, 0, o.preserve+len(o.extra)+2)
	for i := 0; i < o.preserve; i++ {
		files = append(files, os.NewFile(uintptr(3+i), "preserved-"+strconv.Itoa(3+i)))
	}
	s.fdBase = 3 + len(files)
	files = append(files, o.extra...)
	syncFD := 3 + len(files)
	files = append(files, child)
	path := self
	if !o.noExeDefence {
		exe, err := openSelfExe(self)
		if err != nil {
			return nil, err
		}
		defer exe.Close()
		path = "/proc/self/fd/" + strconv.Itoa(3+len(files))
		files = append(files, exe)
	}
	cmd := &exec.Cmd{Path: path, Args: []string{o.helper}, ExtraFiles: files,
		Env: []string{envSyncFD + "=" + strconv.Itoa(syncFD)}}
	if err := s.setStdio(cmd, o.stdio); err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: o.intoCgroup, CgroupFD: o.cgroupFD}
	if o.ns != nil {
		env, err := o.ns.Env(syncFD)
		if err != nil {
			return nil, err
		}
		cmd.Env = append(cmd.Env, env...)
	} else {
		a := cmd.SysProcAttr
		a.Cloneflags, a.UidMappings, a.GidMappings = o.cloneflags, o.uidMaps, o.gidMaps
		a.GidMappingsEnableSetgroups = true
		if o.cloneflags&syscall.CLONE_NEWUSER != 0 {
			// Become root of the new user namespace before exec, or exec
			// would drop every capability of an unmapped uid.
			a.Credential = &syscall.Credential{Uid: 0, Gid: 0}
		}
	}
	if err := cmd.Start(); err != nil {
		if len(o.uidMaps) > 0 {
			return nil, fmt.Errorf("%w: linux.uidMappings/gidMappings: starting the container: %w", ErrInvalid, err)
		}
		return nil, fmt.Errorf("starting %s: %w", o.helper, err)
	}
	closeAll(s.closeAfterStart)
	s.proc = cmd.Process
	if o.ns == nil {
		return s, nil
	}
	return s, s.handshake(cmd.Process, o)
}

// handshake follows nsenter's report and swaps s.proc for the process that
// lives on when the constructor forked into a pid namespace.
func (s *spawned) handshake(first *os.Process, o spawnOpts) error {
	pid, err := nsenter.Handshake(s.sync, func(pid int) error {
		return writeIDMaps(pid, o.specUIDMaps, o.specGIDMaps)
	})
	if err != nil {
		return err
	}
	if pid == first.Pid {
		return nil
	}
	st, err := first.Wait()
	if err != nil {
		return fmt.Errorf("waiting for nsenter: %w", err)
	}
	if !st.Success() {
		return fmt.Errorf("nsenter exited: %v", st)
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return fmt.Errorf("finding process %d: %w", pid, err)
	}
	s.proc = p
	return nil
}

func writeIDMaps(pid int, uids, gids []specs.LinuxIDMapping) error {
	for _, m := range []struct {
		file  string
		field string
		ms    []specs.LinuxIDMapping
	}{{"uid_map", "linux.uidMappings", uids}, {"gid_map", "linux.gidMappings", gids}} {
		var b []byte
		for _, x := range m.ms {
			b = fmt.Appendf(b, "%d %d %d\n", x.ContainerID, x.HostID, x.Size)
		}
		p := fmt.Sprintf("/proc/%d/%s", pid, m.file)
		if err := os.WriteFile(p, b, 0); err != nil {
			return fmt.Errorf("%w: %s: writing %s: %w", ErrInvalid, m.field, p, err)
		}
	}
	return nil
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// setStdio gives cmd the caller's stdio: files directly, other readers and
// writers through pipes copied by goroutines (s.copies), since the process
// that lives on may not be cmd's own (nsenter forks).
func (s *spawned) setStdio(cmd *exec.Cmd, io3 Stdio) error {
	in, err := s.input(io3.Stdin)
	if err != nil {
		return err
	}
	out, err := s.output(io3.Stdout, os.Stdout)
	if err != nil {
		return err
	}
	errf, err := s.output(io3.Stderr, os.Stderr)
	if err != nil {
		return err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, errf
	return nil
}

func (s *spawned) input(r io.Reader) (*os.File, error) {
	if r == nil {
		return os.Stdin, nil
	}
	if f, ok := r.(*os.File); ok {
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.closeAfterStart = append(s.closeAfterStart, pr)
	go func() {
		_, _ = io.Copy(pw, r)
		pw.Close()
	}()
	return pr, nil
}

func (s *spawned) output(w io.Writer, def *os.File) (*os.File, error) {
	if w == nil {
		return def, nil
	}
	if f, ok := w.(*os.File); ok {
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.closeAfterStart = append(s.closeAfterStart, pw)
	s.copies.Add(1)
	go func() {
		defer s.copies.Done()
		_, _ = io.Copy(w, pr)
		pr.Close()
	}()
	return pw, nil
}
