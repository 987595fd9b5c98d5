package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newVolumeRemoveCmd(g *Globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			// Like docker: remove what can be removed, report the rest
			// together (errors.Join keeps each error's class).
			var errs []error
			for _, name := range args {
				if err := e.RemoveVolume(cmd.Context(), name, force); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the removal of one or more volumes")
	return cmd
}
