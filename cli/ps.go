package cli

import (
	"github.com/spf13/cobra"
)

// ps is registered at the top level here and as `container ls`/`list` in
// container.go (docker's names for it).
var _ = addCommand(newPsCmd)

type psOptions struct {
	all, quiet, latest, noTrunc, size bool
	last                              int
	format                            string
	filters                           []string
}

func newPsCmd(g *Globals) *cobra.Command {
	o := &psOptions{}
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runPs(cmd, g, o) },
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only display container IDs")
	f.IntVarP(&o.last, "last", "n", -1, "Show n last created containers (includes all states)")
	f.BoolVarP(&o.latest, "latest", "l", false, "Show the latest created container (includes all states)")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	f.BoolVarP(&o.size, "size", "s", false, "Display total file sizes")
	f.StringVar(&o.format, "format", "", "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
	f.StringArrayVarP(&o.filters, "filter", "f", nil, "Filter output based on conditions provided")
	return cmd
}

func runPs(cmd *cobra.Command, g *Globals, o *psOptions) error {
	filters, err := imageParseFilters(o.filters)
	if err != nil {
		return err
	}
	limit := o.last
	if o.latest {
		limit = 1
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	// -n and -l include every state, as docker's Limit does.
	list, err := e.ContainerSummaries(cmd.Context(), o.all || limit > 0, filters)
	if err != nil {
		return err
	}
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	fm, err := newRowFormatter(cmd.OutOrStdout(), psFormat(o), psHeader)
	if err != nil {
		return err
	}
	for i := range list {
		if err := fm.Row(newPsRow(&list[i], !o.noTrunc)); err != nil {
			return err
		}
	}
	return fm.Flush()
}

// psFormat picks docker's default table unless --format or -q says
// otherwise; -s adds the SIZE column to the default table.
func psFormat(o *psOptions) string {
	// As docker's NewContainerFormat: -q only replaces the default table;
	// an explicit template wins over it.
	switch {
	case o.format != "" && o.format != "table":
		return o.format
	case o.quiet:
		return "{{.ID}}"
	}
	f := "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
	if o.size {
		f += "\t{{.Size}}"
	}
	return f
}
