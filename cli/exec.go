package cli

import (
	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/monitor"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newExecCmd)

type execOptions struct {
	detach, interactive, tty, privileged bool
	detachKeys, user, workdir            string
	envFile                              listValue
	env                                  checkedList
}

func newExecCmd(g *Globals) *cobra.Command {
	o := &execOptions{env: checkedList{check: checkEnv}}
	cmd := &cobra.Command{
		Use:                   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short:                 "Execute a command in a running container",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExec(cmd, g, o, args[0], args[1:])
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false) // flags after CONTAINER belong to the command
	f.BoolVarP(&o.detach, "detach", "d", false, "Detached mode: run command in the background")
	f.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	f.VarP(&o.env, "env", "e", "Set environment variables")
	f.Var(&o.envFile, "env-file", "Read in a file of environment variables")
	f.BoolVarP(&o.interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	f.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to the command")
	f.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	f.StringVarP(&o.user, "user", "u", "", "Username or UID (format: \"<name|uid>[:<group|gid>]\")")
	f.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}

func runExec(cmd *cobra.Command, g *Globals, o *execOptions, ref string, argv []string) error {
	eo, err := o.options(cmd, argv)
	if err != nil {
		return err
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	if o.tty && o.interactive && !o.detach {
		restore, err := rawTerminal(cmd.InOrStdin())
		if err != nil {
			return containerError(err)
		}
		defer restore()
	}
	if o.tty && !o.detach {
		ch, stop := resizeChan(cmd.OutOrStdout())
		defer stop()
		eo.Resize = ch
	}
	code, err := e.ExecContainer(cmd.Context(), ref, eo)
	if err != nil {
		return verbError(err)
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// options checks the flags and builds the engine's ExecOptions; streams
// are attached unless -d (stdin only with -i; a pty has one output).
func (o *execOptions) options(cmd *cobra.Command, argv []string) (engine.ExecOptions, error) {
	env, err := readEnv(o.envFile, o.env.listValue)
	if err != nil {
		return engine.ExecOptions{}, &ExitError{Code: 1, Err: err}
	}
	keys, err := parseDetachKeys(o.detachKeys)
	if err != nil {
		return engine.ExecOptions{}, &ExitError{Code: 1, Err: err}
	}
	in := cmd.InOrStdin()
	if !o.detach {
		if err := checkTTY(in, o.interactive, o.tty); err != nil {
			return engine.ExecOptions{}, &ExitError{Code: 1, Err: err}
		}
	}
	eo := engine.ExecOptions{
		Cmd: argv, Env: env, User: o.user, WorkingDir: o.workdir, Tty: o.tty,
		Detach: o.detach, Privileged: o.privileged, Streams: monitor.Attach{DetachKeys: keys},
	}
	if !o.detach {
		eo.Streams.Stdout, eo.Streams.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
		if o.tty {
			eo.Streams.Stderr = cmd.OutOrStdout()
		}
		if o.interactive {
			eo.Streams.Stdin = in
		}
	}
	return eo, nil
}
