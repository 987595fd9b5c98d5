package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newStartCmd)

type startOptions struct {
	attach, interactive bool
	detachKeys          string
}

func newStartCmd(g *Globals) *cobra.Command {
	o := &startOptions{}
	cmd := &cobra.Command{
		Use:                   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short:                 "Start one or more stopped containers",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStart(cmd, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	f.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	f.BoolVarP(&o.interactive, "interactive", "i", false, "Attach container's STDIN")
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}

func runStart(cmd *cobra.Command, g *Globals, o *startOptions, refs []string) error {
	if (o.attach || o.interactive) && len(refs) > 1 {
		return &ExitError{Code: 1, Err: errors.New("you cannot start and attach multiple containers at once")}
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	if o.attach || o.interactive {
		return startAttached(cmd, e, o, refs[0])
	}
	var failed []string
	for _, ref := range refs {
		if _, err := e.StartContainer(cmd.Context(), ref, nil); err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), err)
			failed = append(failed, ref)
			continue
		}
		fmt.Fprintln(cmd.OutOrStdout(), ref)
	}
	if len(failed) > 0 {
		return &ExitError{Code: 1, Err: fmt.Errorf("failed to start containers: %s", strings.Join(failed, ", "))}
	}
	return nil
}

// startAttached is `start -a`/`-i`: the container's streams (stdin only
// with -i and a container created with -i), its exit status.
func startAttached(cmd *cobra.Command, e *engine.Engine, o *startOptions, ref string) error {
	keys, err := parseDetachKeys(o.detachKeys)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	c, err := e.GetContainer(cmd.Context(), ref)
	if err != nil {
		return verbError(err)
	}
	a := attachment{
		tty: c.Config.Tty, stdin: o.interactive && c.Config.OpenStdin,
		stdout: o.attach, stderr: o.attach, sigProxy: o.attach, keys: keys,
	}
	if err := checkTTY(cmd.InOrStdin(), a.stdin, a.tty); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	return a.run(cmd, e, c.ID, func(s *engine.Streams) (sessionLike, error) {
		return startSession(cmd.Context(), e, c.ID, s)
	})
}

// startSession starts with the streams attached; a container that was
// already running gives no session, so attach to it instead (docker's
// start -a on a running container attaches).
func startSession(ctx context.Context, e *engine.Engine, id string, s *engine.Streams) (sessionLike, error) {
	sess, err := e.StartContainer(ctx, id, s)
	if err != nil {
		return nil, verbError(err)
	}
	if sess == nil {
		if sess, err = e.AttachContainer(ctx, id, s); err != nil {
			return nil, verbError(err)
		}
	}
	return sess, nil
}
