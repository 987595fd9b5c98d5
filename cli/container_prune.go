package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"
)

// container prune exists only under `container` (container.go adds it).
func newContainerPruneCmd(g *Globals) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := imageParseFilters(filters)
			if err != nil {
				return err
			}
			const warning = "WARNING! This will remove all stopped containers."
			if !force && !confirm(cmd.InOrStdin(), cmd.OutOrStdout(), warning) {
				return nil
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			rep, err := e.PruneContainers(cmd.Context(), f)
			if err != nil {
				return err
			}
			printPruned(cmd.OutOrStdout(), "Deleted Containers:", rep.ContainersDeleted, rep.SpaceReclaimed)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

// confirm is docker's prompt: the warning, then "Are you sure you want to
// continue? [y/N] "; only "y" or "yes" agree.
func confirm(in io.Reader, out io.Writer, warning string) bool {
	fmt.Fprintf(out, "%s\nAre you sure you want to continue? [y/N] ", warning)
	line, _ := bufio.NewReader(in).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}

// printPruned is docker's prune report.
func printPruned(out io.Writer, title string, deleted []string, reclaimed uint64) {
	if len(deleted) > 0 {
		fmt.Fprintln(out, title)
		for _, id := range deleted {
			fmt.Fprintln(out, id)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out, "Total reclaimed space:", units.HumanSize(float64(reclaimed)))
}
