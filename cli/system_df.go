package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

// `onggi system` is created here; later `system` verbs (info, prune,
// events) add themselves to systemSubcommands from their own files.
var _ = addCommand(newSystemCmd)

var systemSubcommands = []func(*Globals) *cobra.Command{newSystemDfCmd, newSystemBootCmd}

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
			objs, err := loadDfObjects(cmd.Context(), e)
			if err != nil {
				return err
			}
			if verbose {
				return printDfVerbose(cmd, du, objs)
			}
			return printDf(cmd, du, objs, format)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	cmd.Flags().StringVar(&format, "format", "", "Format output using a custom template")
	return cmd
}

// dfObjects are the containers and volumes behind df's counts: which are
// active (running containers, volumes some container uses) and, for -v,
// their rows.
type dfObjects struct {
	containers []ctypes.Summary
	running    int
	volumes    []engine.VolumeInfo
	usedVols   int
}

func loadDfObjects(ctx context.Context, e *engine.Engine) (*dfObjects, error) {
	o := &dfObjects{}
	var err error
	if o.containers, err = e.ContainerSummaries(ctx, true, nil); err != nil {
		return nil, err
	}
	for _, c := range o.containers {
		if c.State == "running" || c.State == "paused" || c.State == "restarting" {
			o.running++
		}
	}
	if o.volumes, err = e.ListVolumes(ctx, nil); err != nil {
		return nil, err
	}
	for _, v := range o.volumes {
		if len(v.UsedBy) > 0 {
			o.usedVols++
		}
	}
	return o, nil
}

func printDf(cmd *cobra.Command, du *engine.DiskUsage, objs *dfObjects, format string) error {
	if format == "" || format == "table" {
		format = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
	}
	fm, err := newImageFormatter(cmd.OutOrStdout(), format, dfHeaders)
	if err != nil {
		return err
	}
	rows := []dfRow{
		{"Images", strconv.Itoa(len(du.Images)), strconv.Itoa(du.ImagesActive), imageHumanSize(du.ImagesSize), reclaimable(du.ImagesReclaim, du.ImagesSize)},
		{"Containers", strconv.Itoa(du.Containers), strconv.Itoa(objs.running), imageHumanSize(du.ContainersSize), reclaimable(du.ContainersSize, du.ContainersSize)},
		{"Local Volumes", strconv.Itoa(du.Volumes), strconv.Itoa(objs.usedVols), imageHumanSize(du.VolumesSize), reclaimable(du.VolumesSize, du.VolumesSize)},
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

func printDfVerbose(cmd *cobra.Command, du *engine.DiskUsage, objs *dfObjects) error {
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
	if err := printDfObjects(out, objs); err != nil {
		return err
	}
	fmt.Fprint(out, "\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n")
	return nil
}

// printDfObjects is df -v's containers and volumes sections.
func printDfObjects(out io.Writer, objs *dfObjects) error {
	fmt.Fprint(out, "\nContainers space usage:\n\n")
	cf, err := newRowFormatter(out, "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}", psHeader)
	if err != nil {
		return err
	}
	for i := range objs.containers {
		if err := cf.Row(newPsRow(&objs.containers[i], true)); err != nil {
			return err
		}
	}
	if err := cf.Flush(); err != nil {
		return err
	}
	fmt.Fprint(out, "\nLocal Volumes space usage:\n\n")
	vf, err := newRowFormatter(out, "table {{.Name}}\t{{.Links}}\t{{.Size}}", volumeHeader)
	if err != nil {
		return err
	}
	for _, v := range objs.volumes {
		if err := vf.Row(newVolumeRow(v)); err != nil {
			return err
		}
	}
	return vf.Flush()
}
