package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/onggi/onggi/errdefs"
	"github.com/spf13/cobra"
)

func newNetworkRemoveCmd(g *Globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:                   "rm NETWORK [NETWORK...]",
		Aliases:               []string{"remove"},
		Short:                 "Remove one or more networks",
		Args:                  requiresMinArgs(1),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			// Like docker: remove what can be removed, report each failure,
			// exit 1 if any failed (-f forgives only "not found").
			var errs []error
			for _, name := range args {
				if err := e.RemoveNetwork(cmd.Context(), name); err != nil {
					if !(force && errors.Is(err, errdefs.ErrNotFound)) {
						errs = append(errs, err)
					}
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			if len(errs) > 0 {
				return &ExitError{Code: 1, Err: errors.Join(errs...)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not error if the network does not exist")
	return cmd
}

const networkPruneWarning = "WARNING! This will remove all custom networks not used by at least one container."

func newNetworkPruneCmd(g *Globals) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:                   "prune [OPTIONS]",
		Short:                 "Remove all unused networks",
		Args:                  cobra.NoArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := imageParseFilters(filters)
			if err != nil {
				return err
			}
			if !force && !confirm(cmd.InOrStdin(), cmd.OutOrStdout(), networkPruneWarning) {
				return nil
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			deleted, err := e.PruneNetworks(cmd.Context(), f)
			if err != nil {
				return networkError(err)
			}
			// docker prints the list and a blank line, and nothing when
			// nothing was removed (networks reclaim no space).
			if len(deleted) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted Networks:\n%s\n\n", strings.Join(deleted, "\n"))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}
