package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newWaitCmd)

func newWaitCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:                   "wait CONTAINER [CONTAINER...]",
		Short:                 "Block until one or more containers stop, then print their exit codes",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			var errs []error
			for _, ref := range args {
				code, err := e.WaitContainer(cmd.Context(), ref)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), code)
			}
			if len(errs) > 0 {
				return &ExitError{Code: 1, Err: errors.Join(errs...)}
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}
