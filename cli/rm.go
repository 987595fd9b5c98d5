package cli

import (
	"context"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newRmCmd)

func newRmCmd(g *Globals) *cobra.Command {
	o := engine.RemoveOptions{}
	cmd := &cobra.Command{
		Use:                   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Aliases:               []string{"remove"},
		Short:                 "Remove one or more containers",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(cmd, g, args, func(ctx context.Context, e *engine.Engine, ref string) error {
				return e.RemoveContainer(ctx, ref, o)
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	f.BoolVarP(&o.Volumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}
