package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newDiffCmd)

func newDiffCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			changes, err := e.DiffContainer(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, c := range changes {
				fmt.Fprintf(out, "%s %s\n", c.Kind, c.Path)
			}
			return nil
		},
	}
}
