package cli

import (
	"github.com/spf13/cobra"
)

func newVolumePruneCmd(g *Globals) *cobra.Command {
	var force, all bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused local volumes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := imageParseFilters(filters)
			if err != nil {
				return err
			}
			warning := "WARNING! This will remove anonymous local volumes not used by at least one container."
			if all {
				warning = "WARNING! This will remove all local volumes not used by at least one container."
			}
			if !force && !confirm(cmd.InOrStdin(), cmd.OutOrStdout(), warning) {
				return nil
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			rep, err := e.PruneVolumes(cmd.Context(), all, f)
			if err != nil {
				return err
			}
			printPruned(cmd.OutOrStdout(), "Deleted Volumes:", rep.VolumesDeleted, rep.SpaceReclaimed)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "Remove all unused volumes, not just anonymous ones")
	fl.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	fl.StringArrayVar(&filters, "filter", nil, `Provide filter values (e.g. "label=<label>")`)
	return cmd
}
