package cli

import (
	"fmt"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newCommitCmd)

func newCommitCmd(g *Globals) *cobra.Command {
	o := engine.CommitOptions{}
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				o.Reference = args[1]
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			img, err := e.CommitContainer(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), img.ID.String())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Author, "author", "a", "", `Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	f.StringArrayVarP(&o.Changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	f.StringVarP(&o.Comment, "message", "m", "", "Commit message")
	f.BoolVarP(&o.Pause, "pause", "p", true, "Pause container during commit")
	return cmd
}
