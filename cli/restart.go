package cli

import (
	"context"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newRestartCmd)

func newRestartCmd(g *Globals) *cobra.Command {
	o := &stopOptions{}
	cmd := &cobra.Command{
		Use:                   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short:                 "Restart one or more containers",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			timeout, err := o.duration(cmd)
			if err != nil {
				return err
			}
			return eachContainer(cmd, g, args, func(ctx context.Context, e *engine.Engine, ref string) error {
				return e.RestartContainer(ctx, ref, timeout, o.signal)
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}
