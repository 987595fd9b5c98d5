package cli

import (
	"context"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newKillCmd)

func newKillCmd(g *Globals) *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:                   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short:                 "Kill one or more running containers",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(cmd, g, args, func(ctx context.Context, e *engine.Engine, ref string) error {
				return e.KillContainer(ctx, ref, signal)
			})
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}
