package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

var _ = addCommand(newRmiCmd)

type rmiOptions struct{ force, noPrune bool }

func newRmiCmd(g *Globals) *cobra.Command {
	o := &rmiOptions{}
	cmd := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRmi(cmd, g, o, args)
		},
	}
	cmd.Flags().BoolVarP(&o.force, "force", "f", false, "Force removal of the image")
	cmd.Flags().BoolVar(&o.noPrune, "no-prune", false, "Do not delete untagged parents")
	return cmd
}

// runRmi removes each image in turn, printing docker's Untagged:/Deleted:
// lines; like docker it goes on after a failure and exits 1 at the end.
// Whether a container uses the image is the store's WithInUse hook, which
// the engine wires to its containers.
func runRmi(cmd *cobra.Command, g *Globals, o *rmiOptions, refs []string) error {
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	out := cmd.OutOrStdout()
	var failed error
	for _, ref := range refs {
		resp, err := e.RemoveImage(cmd.Context(), ref, o.force, o.noPrune)
		for _, r := range resp {
			if r.Untagged != "" {
				fmt.Fprintf(out, "Untagged: %s\n", r.Untagged)
			}
			if r.Deleted != "" {
				fmt.Fprintf(out, "Deleted: %s\n", r.Deleted)
			}
		}
		if err != nil {
			err = imageError(ref, err)
			if failed != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "Error: %v\n", failed)
			}
			failed = err
		}
	}
	if failed != nil {
		return &ExitError{Code: 1, Err: failed}
	}
	return nil
}
