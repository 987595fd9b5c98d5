package cli

import (
	"fmt"
	"strconv"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

// `onggi system` is created here; later `system` verbs (info, prune,
// events) add themselves to systemSubcommands from their own files.
var _ = addCommand(newSystemCmd)

var systemSubcommands = []func(*Globals) *cobra.Command{newSystemDfCmd}

func newSystemCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "system",
		Short: "Manage onggi",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	for _, add := range systemSubcommands {
		cmd.AddCommand(add(g))
	}
	return cmd
}

// dfRow is one line of `system df` with docker's field names.
type dfRow struct {
	Type        string
	TotalCount  string
	Active      string
	Size        string
	Reclaimable string
}

var dfHeaders = map[string]string{"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"}

func newSystemDfCmd(g *Globals) *cobra.Command {
	var verbose bool
	var format string
	cmd := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show onggi disk usage",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			du, err := e.DiskUsage(cmd.Context())
			if err != nil {
				return imageError("", err)
			}
			if verbose {
				return printDfVerbose(cmd, du)
			}
			return printDf(cmd, du, format)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	cmd.Flags().StringVar(&format, "format", "", "Format output using a custom template")
	return cmd
}

func printDf(cmd *cobra.Command, du *engine.DiskUsage, format string) error {
	if format == "" || format == "table" {
		format = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
	}
	fm, err := newImageFormatter(cmd.OutOrStdout(), format, dfHeaders)
	if err != nil {
		return err
	}
	rows := []dfRow{
		{"Images", strconv.Itoa(len(du.Images)), strconv.Itoa(du.ImagesActive), imageHumanSize(du.ImagesSize), reclaimable(du.ImagesReclaim, du.ImagesSize)},
		{"Containers", strconv.Itoa(du.Containers), "0", imageHumanSize(du.ContainersSize), reclaimable(du.ContainersSize, du.ContainersSize)},
		{"Local Volumes", strconv.Itoa(du.Volumes), "0", imageHumanSize(du.VolumesSize), reclaimable(du.VolumesSize, du.VolumesSize)},
		{"Build Cache", strconv.Itoa(du.BuildCacheCount), "0", imageHumanSize(du.BuildCacheSize), imageHumanSize(du.BuildCacheSize)},
	}
	for _, r := range rows {
		if err := fm.Row(r); err != nil {
			return err
		}
	}
	return fm.Flush()
}

// reclaimable is docker's "7.5MB (100%)".
func reclaimable(part, total int64) string {
	s := imageHumanSize(part)
	if total > 0 {
		s += fmt.Sprintf(" (%d%%)", part*100/total)
	}
	return s
}

func printDfVerbose(cmd *cobra.Command, du *engine.DiskUsage) error {
	out := cmd.OutOrStdout()
	fmt.Fprint(out, "Images space usage:\n\n")
	fm, err := newImageFormatter(out, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", imageListHeaders)
	if err != nil {
		return err
	}
	for _, u := range du.Images {
		for _, row := range imageRows(u.ImageSummary, false) {
			row.SharedSize = imageHumanSize(u.SharedSize)
			row.UniqueSize = imageHumanSize(u.UniqueSize)
			row.Containers = strconv.FormatInt(u.Containers, 10)
			if err := fm.Row(row); err != nil {
				return err
			}
		}
	}
	if err := fm.Flush(); err != nil {
		return err
	}
	fmt.Fprint(out, "\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES\n")
	fmt.Fprint(out, "\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n")
	fmt.Fprint(out, "\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n")
	return nil
}
