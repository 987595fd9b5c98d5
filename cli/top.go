package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newTopCmd)

func newTopCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			top, err := e.TopContainer(cmd.Context(), args[0], strings.Join(args[1:], " "))
			if err != nil {
				return err
			}
			// docker's layout: minwidth 20, padding 3.
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 20, 1, 3, ' ', 0)
			fmt.Fprintln(w, strings.Join(top.Titles, "\t"))
			for _, p := range top.Processes {
				fmt.Fprintln(w, strings.Join(p, "\t"))
			}
			return w.Flush()
		},
	}
	// Everything after CONTAINER belongs to ps, "-o pid,comm" included.
	cmd.Flags().SetInterspersed(false)
	return cmd
}
