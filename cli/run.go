package cli

import (
	"context"
	"errors"
	"fmt"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newRunCmd)

type runOptions struct {
	detach, sigProxy bool
	detachKeys       string
	c                *containerOptions
}

func newRunCmd(g *Globals) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:                   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short:                 "Create and run a new container from an image",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.c.image, o.c.args = args[0], args[1:]
			return runRun(cmd, g, o)
		},
	}
	f := cmd.Flags()
	o.c = addContainerFlags(f)
	f.BoolVarP(&o.detach, "detach", "d", false, "Run container in background and print container ID")
	f.BoolVar(&o.sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	f.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}

func runRun(cmd *cobra.Command, g *Globals, o *runOptions) error {
	co, err := o.c.parseFor(cmd)
	if err != nil {
		return err
	}
	keys, err := o.validate(cmd, co.Config)
	if err != nil {
		return err
	}
	if sz, ok := terminalSize(cmd.OutOrStdout()); ok && co.Config.Tty && !o.detach {
		// docker sizes the pty at create, so the first output is laid out
		// right before any resize arrives.
		co.HostConfig.ConsoleSize = [2]uint{uint(sz.Height), uint(sz.Width)}
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	c, err := createContainer(cmd, e, o.c, co)
	if err != nil {
		return withRunHint(cmd, err)
	}
	if o.detach {
		if _, err := e.StartContainer(cmd.Context(), c.ID, nil); err != nil {
			return runStartFailed(cmd, e, c.ID, co.HostConfig.AutoRemove, err)
		}
		fmt.Fprintln(cmd.OutOrStdout(), c.ID)
		return nil
	}
	a := attachment{
		tty: co.Config.Tty, stdin: co.Config.AttachStdin, stdout: co.Config.AttachStdout,
		stderr: co.Config.AttachStderr, sigProxy: o.sigProxy, keys: keys,
	}
	return a.run(cmd, e, c.ID, func(s *engine.Streams) (sessionLike, error) {
		sess, err := e.StartContainer(cmd.Context(), c.ID, s)
		if err != nil {
			return nil, runStartFailed(cmd, e, c.ID, co.HostConfig.AutoRemove, err)
		}
		return sess, nil
	})
}

// validate applies docker's run checks: a terminal for -it, no -a with
// -d (detached runs attach nothing), and the detach keys.
func (o *runOptions) validate(cmd *cobra.Command, cfg *ctypes.Config) ([]byte, error) {
	if o.detach {
		if len(o.c.attach) != 0 {
			return nil, &ExitError{Code: 1, Err: errors.New("conflicting options: cannot specify both --attach and --detach")}
		}
		cfg.AttachStdin, cfg.AttachStdout, cfg.AttachStderr, cfg.StdinOnce = false, false, false, false
	} else if err := checkTTY(cmd.InOrStdin(), cfg.AttachStdin, cfg.Tty); err != nil {
		return nil, &ExitError{Code: 1, Err: err}
	}
	keys, err := parseDetachKeys(o.detachKeys)
	if err != nil {
		return nil, &ExitError{Code: exitEngine, Err: err}
	}
	return keys, nil
}

// runStartFailed removes a --rm container whose start failed (it never
// ran, so no exit will remove it, and docker leaves nothing behind), then
// words the error.
func runStartFailed(cmd *cobra.Command, e *engine.Engine, id string, autoRemove bool, err error) error {
	if autoRemove {
		// Best effort: the engine may have removed it already.
		_ = e.RemoveContainer(context.WithoutCancel(cmd.Context()), id, engine.RemoveOptions{Force: true, Volumes: true})
	}
	return startError(cmd, err)
}

// startError is a failed start with docker's status: 126/127 when the
// command cannot be run, else 125.
func startError(cmd *cobra.Command, err error) error {
	return withRunHint(cmd, containerError(err))
}

// withRunHint adds docker's "Run '… --help'" line to an error of run,
// keeping its status.
func withRunHint(cmd *cobra.Command, err error) error {
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Err == nil {
		return err
	}
	return &ExitError{Code: ee.Code, Err: fmt.Errorf("%w\n\nRun '%s --help' for more information", ee.Err, cmd.CommandPath())}
}
