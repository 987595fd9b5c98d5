package cli

import (
	"strconv"

	units "github.com/docker/go-units"
	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

// volumeRow is one `volume ls` line with docker's --format field names.
type volumeRow struct {
	Driver     string
	Labels     string
	Links      string
	Mountpoint string
	Name       string
	Scope      string
	Size       string

	labels map[string]string
	header bool
}

// Label is docker's {{.Label "key"}}.
func (r volumeRow) Label(name string) string {
	if r.header {
		return "LABEL"
	}
	return r.labels[name]
}

var volumeHeader = volumeRow{
	Driver: "DRIVER", Labels: "LABELS", Links: "LINKS", Mountpoint: "MOUNTPOINT", Name: "VOLUME NAME",
	Scope: "SCOPE", Size: "SIZE", header: true,
}

func newVolumeRow(v engine.VolumeInfo) volumeRow {
	r := volumeRow{Links: strconv.Itoa(len(v.UsedBy)), Size: "N/A"}
	if v.Size >= 0 {
		r.Size = units.HumanSizeWithPrecision(float64(v.Size), 3)
	}
	if v.Volume != nil {
		r.Driver, r.Mountpoint, r.Name, r.Scope = v.Driver, v.Mountpoint, v.Name, v.Scope
		r.Labels, r.labels = joinLabels(v.Labels), v.Labels
	}
	return r
}

func newVolumeListCmd(g *Globals) *cobra.Command {
	var quiet bool
	var format string
	var filters []string
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    cobra.NoArgs,
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
			list, err := e.ListVolumes(cmd.Context(), f)
			if err != nil {
				return err
			}
			// an explicit template wins over -q, as docker's
			switch {
			case format != "" && format != "table":
			case quiet:
				format = "{{.Name}}"
			default:
				format = "table {{.Driver}}\t{{.Name}}"
			}
			fm, err := newRowFormatter(cmd.OutOrStdout(), format, volumeHeader)
			if err != nil {
				return err
			}
			for _, v := range list {
				if err := fm.Row(newVolumeRow(v)); err != nil {
					return err
				}
			}
			return fm.Flush()
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only display volume names")
	fl.StringVar(&format, "format", "", "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
	fl.StringArrayVarP(&filters, "filter", "f", nil, "Provide filter values (e.g. \"dangling=true\")")
	return cmd
}
