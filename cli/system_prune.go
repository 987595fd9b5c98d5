package cli

import (
	"fmt"
	"strings"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"
)

var _ = addSystemCommand(newSystemPruneCmd)

// addSystemCommand adds a verb under `onggi system` from its own file.
func addSystemCommand(fn func(*Globals) *cobra.Command) struct{} {
	systemSubcommands = append(systemSubcommands, fn)
	return struct{}{}
}

type systemPruneOptions struct {
	all, force, volumes bool
	filters             []string
}

func newSystemPruneCmd(g *Globals) *cobra.Command {
	o := &systemPruneOptions{}
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused data",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runSystemPrune(cmd, g, o) },
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "Remove all unused images not just dangling ones")
	f.BoolVarP(&o.force, "force", "f", false, "Do not prompt for confirmation")
	f.BoolVar(&o.volumes, "volumes", false, "Prune anonymous volumes")
	f.StringArrayVar(&o.filters, "filter", nil, `Provide filter values (e.g. "label=<key>=<value>")`)
	return cmd
}

// systemPruneWarning is docker's list of what will go.
func systemPruneWarning(o *systemPruneOptions) string {
	items := []string{"all stopped containers", "all networks not used by at least one container"}
	if o.volumes {
		items = append(items, "all anonymous volumes not used by at least one container")
	}
	if o.all {
		items = append(items, "all images without at least one container associated to them", "all build cache")
	} else {
		items = append(items, "all dangling images", "unused build cache")
	}
	return "WARNING! This will remove:\n  - " + strings.Join(items, "\n  - ") + "\n"
}

// runSystemPrune prunes containers, networks, (volumes), images and the
// build cache in docker's order, each report as docker prints it, then
// the total.
func runSystemPrune(cmd *cobra.Command, g *Globals, o *systemPruneOptions) error {
	filters, err := imageParseFilters(o.filters)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if !o.force && !confirm(cmd.InOrStdin(), out, systemPruneWarning(o)) {
		return nil
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	ctx := cmd.Context()
	var total uint64
	crep, err := e.PruneContainers(ctx, filters)
	if err != nil {
		return err
	}
	printSection(out, "Deleted Containers:", crep.ContainersDeleted)
	total += crep.SpaceReclaimed
	nets, err := e.PruneNetworks(ctx, filters)
	if err != nil {
		return err
	}
	printSection(out, "Deleted Networks:", nets)
	if o.volumes {
		vrep, err := e.PruneVolumes(ctx, false, filters)
		if err != nil {
			return err
		}
		printSection(out, "Deleted Volumes:", vrep.VolumesDeleted)
		total += vrep.SpaceReclaimed
	}
	irep, err := e.PruneImages(ctx, o.all, filters)
	if err != nil {
		return imageError("", err)
	}
	var lines []string
	for _, d := range irep.Deleted {
		if d.Untagged != "" {
			lines = append(lines, "untagged: "+d.Untagged)
		}
		if d.Deleted != "" {
			lines = append(lines, "deleted: "+d.Deleted.String())
		}
	}
	printSection(out, "Deleted Images:", lines)
	total += uint64(irep.SpaceReclaimed)
	brep, err := e.PruneBuildCache(ctx, o.all)
	if err != nil {
		return err
	}
	total += uint64(brep.SpaceReclaimed)
	fmt.Fprintln(out, "Total reclaimed space:", units.HumanSize(float64(total)))
	return nil
}

func printSection(out interface{ Write([]byte) (int, error) }, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(out, title)
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
	fmt.Fprintln(out)
}
