package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/onggi/onggi/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
)

type runtimeExecOpts struct {
	process, consoleSocket, pidFile, cwd, user string
	apparmor, processLabel                     string
	detach, tty, noNewPrivs                    bool
	env, caps                                  []string
	additionalGids                             []int64
	cgroup                                     string
	ignorePaused                               bool
	preserveFDs                                int
}

func newRuntimeExecCmd(rg *runtimeGlobals) *cobra.Command {
	o := &runtimeExecOpts{}
	cmd := &cobra.Command{
		Use:   "exec [flags] <container-id> <command> [command options]",
		Short: "execute new process inside the container",
		Args:  argRange(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRuntimeExec(cmd, rg, o, args)
		},
	}
	fs := cmd.Flags()
	// Everything after the container id belongs to the command (sh -c ...).
	fs.SetInterspersed(false)
	fs.StringVar(&o.consoleSocket, "console-socket", "", "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal")
	fs.StringVar(&o.cwd, "cwd", "", "current working directory in the container")
	fs.StringSliceVarP(&o.env, "env", "e", nil, "set environment variables")
	fs.BoolVarP(&o.tty, "tty", "t", false, "allocate a pseudo-TTY")
	fs.StringVarP(&o.user, "user", "u", "", "UID (format: <uid>[:<gid>])")
	fs.Int64SliceVarP(&o.additionalGids, "additional-gids", "g", nil, "additional gids")
	fs.StringVarP(&o.process, "process", "p", "", "path to the process.json")
	fs.BoolVarP(&o.detach, "detach", "d", false, "detach from the container's process")
	fs.StringVar(&o.pidFile, "pid-file", "", "specify the file to write the process id to")
	fs.StringVar(&o.processLabel, "process-label", "", "set the asm process label for the process commonly used with selinux")
	fs.StringVar(&o.apparmor, "apparmor", "", "set the apparmor profile for the process")
	fs.BoolVar(&o.noNewPrivs, "no-new-privs", false, "set the no new privileges value for the process")
	fs.StringSliceVarP(&o.caps, "cap", "c", nil, "add a capability to the bounding set for the process")
	fs.IntVar(&o.preserveFDs, "preserve-fds", 0, "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)")
	fs.StringVar(&o.cgroup, "cgroup", "", "run the process in an (existing) sub-cgroup (not supported)")
	fs.BoolVar(&o.ignorePaused, "ignore-paused", false, "allow exec in a paused container")
	return cmd
}

func runRuntimeExec(cmd *cobra.Command, rg *runtimeGlobals, o *runtimeExecOpts, args []string) error {
	if o.cgroup != "" {
		return errors.New("exec --cgroup: sub-cgroups are not supported")
	}
	c, err := rg.load(args)
	if err != nil {
		return err
	}
	if !o.ignorePaused {
		if st, err := c.State(); err == nil && st.Status == "paused" {
			return errors.New("cannot exec in a paused container (use --ignore-paused to override)")
		}
	}
	p, err := execProcess(c, o, args[1:])
	if err != nil {
		return err
	}
	eo := runtime.ExecOpts{Detach: o.detach, PreserveFDs: o.preserveFDs}
	if eo.PidFile, err = absOrEmpty(o.pidFile); err != nil {
		return err
	}
	if eo.ConsoleSocket, err = absOrEmpty(o.consoleSocket); err != nil {
		return err
	}
	tty, err := proxyTTY(p.Terminal, o.detach, &eo.ConsoleSocket)
	if err != nil {
		return err
	}
	defer tty.close()
	proc, err := c.Exec(p, eo)
	if err != nil {
		return fmt.Errorf("exec failed: %w", err)
	}
	if o.detach {
		return nil
	}
	return waitExec(cmd, proc, tty)
}

// waitExec proxies the terminal, forwards signals and turns the process's
// end into our exit status (128+signal when killed, as a shell reports it).
func waitExec(cmd *cobra.Command, proc *os.Process, tty *ttyProxy) error {
	if tty != nil {
		if err := tty.attach(os.Stdin, cmd.OutOrStdout()); err != nil {
			proc.Kill()
			proc.Wait()
			return err
		}
	}
	relay := catchSignals()
	relay.forward(tty, func(s syscall.Signal) error { return proc.Signal(s) })
	defer relay.stop()
	ps, err := proc.Wait()
	if err != nil {
		return fmt.Errorf("waiting for exec process %d: %w", proc.Pid, err)
	}
	status := ps.ExitCode()
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		status = 128 + int(ws.Signal())
	}
	if status == 0 {
		return nil
	}
	return &ExitError{Code: status}
}

// execProcess is the process to run: --process's file as is, or else the
// container's own process from its bundle with runc exec's flags applied.
func execProcess(c *runtime.Container, o *runtimeExecOpts, args []string) (*specs.Process, error) {
	if o.process != "" {
		data, err := os.ReadFile(o.process)
		if err != nil {
			return nil, fmt.Errorf("reading process file: %w", err)
		}
		var p specs.Process
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("parsing process file %s: %w: %w", o.process, runtime.ErrInvalid, err)
		}
		return &p, nil
	}
	if len(args) == 0 {
		return nil, errors.New("exec args cannot be empty")
	}
	p, err := containerProcess(c)
	if err != nil {
		return nil, err
	}
	p.Args, p.Terminal = args, o.tty
	p.Env = append(p.Env, o.env...)
	if o.cwd != "" {
		p.Cwd = o.cwd
	}
	if o.apparmor != "" {
		p.ApparmorProfile = o.apparmor
	}
	if o.processLabel != "" {
		p.SelinuxLabel = o.processLabel
	}
	if o.noNewPrivs {
		p.NoNewPrivileges = true
	}
	addCaps(p, o.caps)
	return p, applyExecUser(p, o)
}

// containerProcess reads process from the container's bundle, the base
// runc exec starts from (env, user, capabilities, rlimits...).
func containerProcess(c *runtime.Container) (*specs.Process, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(st.Bundle, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("reading container %s config: %w", c.ID(), err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parsing container %s config: %w", c.ID(), err)
	}
	if s.Process == nil {
		return &specs.Process{Cwd: "/"}, nil
	}
	return s.Process, nil
}

// addCaps adds --cap to the bounding, effective and permitted sets, and
// to the ambient set only when it is in use (ambient needs inheritable).
func addCaps(p *specs.Process, caps []string) {
	if len(caps) == 0 {
		return
	}
	if p.Capabilities == nil {
		p.Capabilities = &specs.LinuxCapabilities{}
	}
	pc := p.Capabilities
	for _, c := range caps {
		pc.Bounding = append(pc.Bounding, c)
		pc.Effective = append(pc.Effective, c)
		pc.Permitted = append(pc.Permitted, c)
		if pc.Ambient != nil {
			pc.Ambient = append(pc.Ambient, c)
		}
	}
}

func applyExecUser(p *specs.Process, o *runtimeExecOpts) error {
	if o.user != "" {
		uidStr, gidStr, hasGid := strings.Cut(o.user, ":")
		uid, err := strconv.ParseUint(uidStr, 10, 32)
		if err != nil {
			return fmt.Errorf("parsing --user %q: uid: %w", o.user, err)
		}
		p.User.UID = uint32(uid)
		if hasGid {
			gid, err := strconv.ParseUint(gidStr, 10, 32)
			if err != nil {
				return fmt.Errorf("parsing --user %q: gid: %w", o.user, err)
			}
			p.User.GID = uint32(gid)
		}
	}
	for _, g := range o.additionalGids {
		if g < 0 || g > 1<<32-1 {
			return fmt.Errorf("--additional-gids %d: out of range", g)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	return nil
}

func absOrEmpty(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	return filepath.Abs(p)
}
