package cli

import (
	"fmt"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"
)

var _ = addCommand(newBuilderCmd)

// newBuilderCmd is `onggi builder`: the build cache (docker's `builder`).
func newBuilderCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "builder",
		Short: "Manage builds",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	b := newBuildCmd(g)
	b.Use = "build [OPTIONS] PATH | -"
	cmd.AddCommand(b, newBuilderPruneCmd(g))
	return cmd
}

func newBuilderPruneCmd(g *Globals) *cobra.Command {
	var all, force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove build cache",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			warning := "WARNING! This will remove all dangling build cache."
			if all {
				warning = "WARNING! This will remove all build cache."
			}
			if !force && !confirm(cmd.InOrStdin(), cmd.OutOrStdout(), warning) {
				return nil
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			rep, err := e.PruneBuildCache(cmd.Context(), all)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Total reclaimed space:", units.HumanSize(float64(rep.SpaceReclaimed)))
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "Remove all unused build cache, not just dangling ones")
	f.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	f.StringArrayVar(&filters, "filter", nil, "Provide filter values (accepted; the whole cache is pruned)")
	return cmd
}
