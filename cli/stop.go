package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newStopCmd)

// stopOptions are stop's and restart's flags.
type stopOptions struct {
	timeout int
	signal  string
}

func newStopCmd(g *Globals) *cobra.Command {
	o := &stopOptions{}
	cmd := &cobra.Command{
		Use:                   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short:                 "Stop one or more running containers",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			timeout, err := o.duration(cmd)
			if err != nil {
				return err
			}
			return eachContainer(cmd, g, args, func(ctx context.Context, e *engine.Engine, ref string) error {
				return e.StopContainer(ctx, ref, timeout, o.signal)
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}

func (o *stopOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.signal, "signal", "s", "", "Signal to send to the container")
	f.IntVarP(&o.timeout, "timeout", "t", 0, "Seconds to wait before killing the container")
	f.IntVar(&o.timeout, "time", 0, "Seconds to wait before killing the container (deprecated: use --timeout)")
	_ = f.MarkHidden("time")
	cmd.SetFlagErrorFunc(flagError)
}

// duration is the timeout if given (nil: the container's --stop-timeout,
// else 10s); docker's -1 waits forever, which the engine takes as negative.
func (o *stopOptions) duration(cmd *cobra.Command) (*time.Duration, error) {
	f := cmd.Flags()
	if f.Changed("timeout") && f.Changed("time") {
		return nil, &ExitError{Code: 1, Err: errors.New("conflicting options: cannot specify both --timeout and --time")}
	}
	if !f.Changed("timeout") && !f.Changed("time") {
		return nil, nil
	}
	d := time.Duration(o.timeout) * time.Second
	return &d, nil
}

// eachContainer runs fn for each ref in order, printing the ref on
// success; failures are collected and printed together, exit status 1 (as
// docker's stop, kill, rm, pause, …).
func eachContainer(cmd *cobra.Command, g *Globals, refs []string, fn func(context.Context, *engine.Engine, string) error) error {
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	var errs []error
	for _, ref := range refs {
		if err := fn(cmd.Context(), e, ref); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(cmd.OutOrStdout(), ref)
	}
	if len(errs) > 0 {
		return &ExitError{Code: 1, Err: errors.Join(errs...)}
	}
	return nil
}
