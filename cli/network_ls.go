package cli

import (
	"sort"
	"strconv"

	"github.com/moby/moby/api/types/network"
	"github.com/spf13/cobra"
)

// networkRow is one `network ls` line with docker's --format field names;
// its exported fields (alphabetical, as docker's) are also what --format
// json prints.
type networkRow struct {
	CreatedAt string
	Driver    string
	ID        string
	IPv4      string
	IPv6      string
	Internal  string
	Labels    string
	Name      string
	Scope     string

	labels map[string]string
	header bool
}

// Label is docker's {{.Label "key"}}.
func (r networkRow) Label(name string) string {
	if r.header {
		return "LABEL"
	}
	return r.labels[name]
}

var networkHeader = networkRow{
	CreatedAt: "CREATED AT", Driver: "DRIVER", ID: "NETWORK ID", IPv4: "IPV4", IPv6: "IPV6",
	Internal: "INTERNAL", Labels: "LABELS", Name: "NAME", Scope: "SCOPE", header: true,
}

func newNetworkRow(n network.Summary, trunc bool) networkRow {
	r := networkRow{
		CreatedAt: n.Created.String(), Driver: n.Driver, ID: n.ID,
		IPv4: strconv.FormatBool(n.EnableIPv4), IPv6: strconv.FormatBool(n.EnableIPv6),
		Internal: strconv.FormatBool(n.Internal), Labels: joinLabels(n.Labels), Name: n.Name,
		Scope: n.Scope, labels: n.Labels,
	}
	if trunc {
		r.ID = shortID(n.ID)
	}
	return r
}

func newNetworkListCmd(g *Globals) *cobra.Command {
	var quiet, noTrunc bool
	var format string
	var filters []string
	cmd := &cobra.Command{
		Use:                   "ls [OPTIONS]",
		Aliases:               []string{"list"},
		Short:                 "List networks",
		Args:                  cobra.NoArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := imageParseFilters(filters)
			if err != nil {
				return err
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			list, err := e.ListNetworks(cmd.Context(), f)
			if err != nil {
				return networkError(err)
			}
			// docker's CLI sorts by name whatever order the daemon used.
			sort.SliceStable(list, func(i, j int) bool { return list[i].Name < list[j].Name })
			fm, err := newRowFormatter(cmd.OutOrStdout(), networkFormat(format, quiet), networkHeader)
			if err != nil {
				return err
			}
			for _, n := range list {
				if err := fm.Row(newNetworkRow(n, !noTrunc)); err != nil {
					return err
				}
			}
			return fm.Flush()
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only display network IDs")
	fl.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate the output")
	fl.StringVar(&format, "format", "", "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
	fl.StringArrayVarP(&filters, "filter", "f", nil, `Provide filter values (e.g. "driver=bridge")`)
	return cmd
}

// networkFormat is docker's choice of template: an explicit one wins over
// -q, except "table" which -q turns into IDs only.
func networkFormat(format string, quiet bool) string {
	switch {
	case format != "" && format != "table":
		return format
	case quiet:
		return "{{.ID}}"
	}
	return "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
}
