package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/moby/sys/capability"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/container/spec"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/monitor"
	"github.com/onggi/onggi/runtime/driver"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// execContainer runs o.Cmd in the running container from this process (the
// CLI), not through the monitor: the caller's stdio can be handed to the
// runtime as is.
func (e *Engine) execContainer(ctx context.Context, ref string, o ExecOptions) (int, error) {
	if len(o.Cmd) == 0 {
		return 0, fmt.Errorf("No exec command specified: %w", errdefs.ErrInvalid)
	}
	if o.WorkingDir != "" && !path.IsAbs(o.WorkingDir) {
		return 0, fmt.Errorf("the working directory '%s' is invalid, it needs to be an absolute path: %w", o.WorkingDir, errdefs.ErrInvalid)
	}
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return 0, err
	}
	if c.State.Paused {
		return 0, fmt.Errorf("container %s is paused, unpause the container before exec: %w", c.ID, errdefs.ErrConflict)
	}
	if c.State.Restarting {
		return 0, fmt.Errorf("container %s is restarting, wait until the container is running: %w", c.ID, errdefs.ErrConflict)
	}
	if !c.State.Running {
		return 0, fmt.Errorf("container %s is not running: %w", c.ID, errdefs.ErrConflict)
	}
	p, err := e.execProcess(c, o)
	if err != nil {
		return 0, err
	}
	d, err := e.driverOf(c)
	if err != nil {
		return 0, err
	}
	if o.Detach {
		p.Terminal = false // nobody would read a detached pty
		proc, err := d.Exec(c.ID, p, driver.IO{}, true)
		if err != nil {
			return 0, err // the driver names the container already
		}
		// The runtime's helper stays our child: reap it, or its zombie
		// (in the container's pid namespace) would keep the namespace's
		// init from finishing its exit, and stop would hang. A CLI that
		// exits first hands it to init, which reaps it.
		go func() { _, _ = proc.Wait() }()
		return 0, nil
	}
	if o.Tty {
		return e.execTTY(ctx, d, c, p, o)
	}
	return execPipes(d, c.ID, p, o)
}

// execProcess builds the exec's process from the container's own (env,
// cwd, user, capabilities, rlimits, apparmor/selinux labels) with o's
// overrides.
func (e *Engine) execProcess(c *container.Container, o ExecOptions) (*specs.Process, error) {
	raw, err := os.ReadFile(filepath.Join(e.dataBundleDir(c.ID), "config.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the bundle of %s: %w", c.ID, err)
	}
	var s specs.Spec
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("reading the bundle of %s: %w", c.ID, err)
	}
	if s.Process == nil {
		return nil, fmt.Errorf("bundle of %s has no process: %w", c.ID, errdefs.ErrInvalid)
	}
	p := *s.Process
	p.Args = append([]string{}, o.Cmd...)
	p.Terminal = o.Tty
	p.ConsoleSize = nil
	p.Env = mergeEnv(p.Env, o.Env)
	if o.WorkingDir != "" {
		p.Cwd = o.WorkingDir
	}
	if o.User != "" {
		var groupAdd []string
		if c.HostConfig != nil {
			groupAdd = c.HostConfig.GroupAdd // docker applies --group-add to execs too
		}
		u, err := spec.ResolveUser(filepath.Join(e.dataBundleDir(c.ID), "rootfs"), o.User, groupAdd)
		if err != nil {
			return nil, err
		}
		p.User = u
	}
	if o.Privileged {
		all := allCaps()
		p.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all}
	}
	return &p, nil
}

// mergeEnv overrides base with extra by key; an entry without '=' takes
// nothing (docker drops unset names for exec).
func mergeEnv(base, extra []string) []string {
	out := append([]string{}, base...)
	for _, kv := range extra {
		k, _, hasV := strings.Cut(kv, "=")
		if !hasV {
			continue
		}
		replaced := false
		for i, b := range out {
			if bk, _, _ := strings.Cut(b, "="); bk == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// allCaps are the capabilities --privileged grants: every one this
// process may hand on (its bounding set), as docker's daemon computes it;
// asking the kernel for one outside it fails with EPERM.
func allCaps() []string {
	own, err := capability.NewPid2(0)
	if err == nil {
		err = own.Load()
	}
	var out []string
	for _, c := range capability.ListKnown() {
		if err == nil && !own.Get(capability.BOUNDING, c) {
			continue
		}
		out = append(out, "CAP_"+strings.ToUpper(c.String()))
	}
	return out
}

// execPipes runs p with plain stdio: the caller's *os.File streams go to
// the runtime directly (the CLI's fast path), others through pipes.
func execPipes(d driver.Driver, id string, p *specs.Process, o ExecOptions) (int, error) {
	var sio driver.IO
	var closeAfter []*os.File
	var copies sync.WaitGroup
	defer func() {
		for _, f := range closeAfter {
			f.Close()
		}
	}()
	if o.Streams.Stdin != nil {
		if f, ok := o.Streams.Stdin.(*os.File); ok {
			sio.Stdin = f
		} else {
			r, w, err := os.Pipe()
			if err != nil {
				return 0, err
			}
			sio.Stdin, closeAfter = r, append(closeAfter, r)
			// Not waited for: the reader may never end (an interactive stdin).
			go func() { _, _ = io.Copy(w, o.Streams.Stdin); w.Close() }()
		}
	}
	// The two copiers may share one writer (a buffer, a socket): serialise
	// their writes.
	var outMu sync.Mutex
	outFile := func(w io.Writer) (*os.File, error) {
		if w == nil {
			return nil, nil
		}
		if f, ok := w.(*os.File); ok {
			return f, nil
		}
		r, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		closeAfter = append(closeAfter, pw)
		copies.Add(1)
		go func() { defer copies.Done(); _, _ = io.Copy(lockedWriter{&outMu, w}, r); r.Close() }()
		return pw, nil
	}
	var err error
	if sio.Stdout, err = outFile(o.Streams.Stdout); err != nil {
		return 0, err
	}
	if sio.Stderr, err = outFile(o.Streams.Stderr); err != nil {
		return 0, err
	}
	// Our copies of the pipes' child ends close only once the process has
	// exited (the runtime may still be handing them over when Exec
	// returns), then the readers see EOF when the last holder closes.
	releaseChildEnds := func() {
		for _, f := range closeAfter {
			f.Close()
		}
		closeAfter = nil
	}
	proc, err := d.Exec(id, p, sio, false)
	if err != nil {
		releaseChildEnds()
		copies.Wait()
		return 0, err
	}
	code, err := proc.Wait()
	releaseChildEnds()
	copies.Wait()
	return code, err
}

// execTTY runs p on a pty whose master the runtime sends over a console
// socket (runc's protocol) and copies it to and from the streams.
func (e *Engine) execTTY(ctx context.Context, d driver.Driver, c *container.Container, p *specs.Process, o ExecOptions) (int, error) {
	dir, err := consoleDir(filepath.Join(e.runroot, "containers", c.ID))
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "c.sock")
	// The CLI sends the terminal's size first: start the pty with it, so a
	// quick command (stty size) never sees 0x0.
	select {
	case sz, ok := <-o.Resize:
		if ok {
			p.ConsoleSize = &specs.Box{Height: uint(sz.Height), Width: uint(sz.Width)}
		}
	default:
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return 0, fmt.Errorf("console socket: %w", err)
	}
	defer ln.Close()
	got := make(chan masterResult, 1)
	go func() { f, err := acceptMaster(ln); got <- masterResult{f, err} }()
	proc, err := d.Exec(c.ID, p, driver.IO{ConsoleSocket: sock}, false)
	if err != nil {
		ln.Close()
		return 0, err // the driver names the container already
	}
	m := <-got
	if m.err != nil {
		_, _ = proc.Wait()
		return 0, fmt.Errorf("receiving the exec's pty: %w", m.err)
	}
	master := m.f
	defer master.Close()
	go applySizes(master, o.Resize)
	if o.Streams.Stdin != nil {
		go func() { _, _ = io.Copy(master, o.Streams.Stdin) }()
	}
	out := make(chan struct{})
	go func() {
		defer close(out)
		if o.Streams.Stdout != nil {
			_, _ = io.Copy(o.Streams.Stdout, master) // EIO once the slave closes
		} else {
			_, _ = io.Copy(io.Discard, master)
		}
	}()
	code, err := proc.Wait()
	<-out
	return code, err
}

// consoleDir makes a private directory for the console socket beside the
// container's runtime state, or under the temp dir when that path would
// not fit a socket address (sun_path is 108 bytes).
func consoleDir(parent string) (string, error) {
	if len(parent)+len("/exec-0123456789/c.sock") < 100 {
		if err := os.MkdirAll(parent, 0o700); err == nil {
			if d, err := os.MkdirTemp(parent, "exec-"); err == nil {
				return d, nil
			}
		}
	}
	return os.MkdirTemp("", "onggi-exec-")
}

type masterResult struct {
	f   *os.File
	err error
}

// acceptMaster takes one connection and reads the fd it carries in
// SCM_RIGHTS.
func acceptMaster(ln *net.UnixListener) (*os.File, error) {
	conn, err := ln.AcceptUnix()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("console socket: want one control message, got %d: %v", len(msgs), err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("console socket: want one fd: %v", err)
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), nil
}

func applySizes(master *os.File, sizes <-chan monitor.Size) {
	if sizes == nil {
		return
	}
	for sz := range sizes {
		ws := &unix.Winsize{Row: sz.Height, Col: sz.Width}
		_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
