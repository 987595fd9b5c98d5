package cli

import (
	"context"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

var (
	_ = addContainerCommand(newPauseCmd)
	_ = addContainerCommand(newUnpauseCmd)
)

func newPauseCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:                   "pause CONTAINER [CONTAINER...]",
		Short:                 "Pause all processes within one or more containers",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(cmd, g, args, func(ctx context.Context, e *engine.Engine, ref string) error {
				return e.PauseContainer(ctx, ref)
			})
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}

func newUnpauseCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:                   "unpause CONTAINER [CONTAINER...]",
		Short:                 "Unpause all processes within one or more containers",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(cmd, g, args, func(ctx context.Context, e *engine.Engine, ref string) error {
				return e.UnpauseContainer(ctx, ref)
			})
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}
