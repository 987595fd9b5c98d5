package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

type runtimeListOpts struct {
	format string
	quiet  bool
}

func newRuntimeListCmd(rg *runtimeGlobals) *cobra.Command {
	o := &runtimeListOpts{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "lists containers started by onggi-runc with the given root",
		Args:    needArgs(0),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runRuntimeList(cmd, rg, o) },
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "table", "select one of: table or json")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "display only container IDs")
	return cmd
}

func runRuntimeList(cmd *cobra.Command, rg *runtimeGlobals, o *runtimeListOpts) error {
	r, err := rg.open()
	if err != nil {
		return err
	}
	cs, err := r.List()
	if err != nil {
		return err
	}
	// A nil slice, so an empty json list prints "null" as runc's does.
	var states []runcState
	for _, c := range cs {
		st, err := containerState(rg, c)
		if err != nil {
			continue // deleted meanwhile, as runc skips it
		}
		states = append(states, *st)
	}
	out := cmd.OutOrStdout()
	if o.quiet {
		for _, st := range states {
			fmt.Fprintln(out, st.ID)
		}
		return nil
	}
	switch o.format {
	case "table":
		w := tabwriter.NewWriter(out, 12, 1, 3, ' ', 0)
		fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
		for _, st := range states {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", st.ID, st.Pid, st.Status, st.Bundle,
				st.Created.Format(time.RFC3339Nano), st.Owner)
		}
		return w.Flush()
	case "json":
		return json.NewEncoder(out).Encode(states)
	default:
		return fmt.Errorf("invalid format option")
	}
}
