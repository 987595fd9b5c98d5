package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

type imagePruneOptions struct {
	all, force bool
	filters    []string
}

func newImagePruneCmd(g *Globals) *cobra.Command {
	o := &imagePruneOptions{}
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runImagePrune(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "Remove all unused images, not just dangling ones")
	f.BoolVarP(&o.force, "force", "f", false, "Do not prompt for confirmation")
	f.StringArrayVar(&o.filters, "filter", nil, "Provide filter values (e.g. \"until=<timestamp>\", \"label=k=v\")")
	return cmd
}

const (
	pruneDanglingWarning = "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
	pruneAllWarning      = "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] "
)

func runImagePrune(cmd *cobra.Command, g *Globals, o *imagePruneOptions) error {
	filters, err := imageParseFilters(o.filters)
	if err != nil {
		return err
	}
	if !o.force {
		warning := pruneDanglingWarning
		if o.all {
			warning = pruneAllWarning
		}
		fmt.Fprint(cmd.OutOrStdout(), warning)
		line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return nil
		}
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	rep, err := e.PruneImages(cmd.Context(), o.all, filters)
	if err != nil {
		return imageError("", err)
	}
	out := cmd.OutOrStdout()
	if len(rep.Deleted) > 0 {
		fmt.Fprintln(out, "Deleted Images:")
		for _, d := range rep.Deleted {
			if d.Untagged != "" {
				fmt.Fprintf(out, "untagged: %s\n", d.Untagged)
			}
			if d.Deleted != "" {
				fmt.Fprintf(out, "deleted: %s\n", d.Deleted)
			}
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "Total reclaimed space: %s\n", imageHumanSize(rep.SpaceReclaimed))
	return nil
}
