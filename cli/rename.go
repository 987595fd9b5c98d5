package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newRenameCmd)

func newRenameCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:                   "rename CONTAINER NEW_NAME",
		Short:                 "Rename a container",
		DisableFlagsInUseLine: true,
		Args:                  requiresExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			oldName, newName := strings.TrimSpace(args[0]), strings.TrimSpace(args[1])
			if oldName == "" || newName == "" {
				return &ExitError{Code: 1, Err: errors.New("neither old nor new names may be empty")}
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			if err := e.RenameContainer(cmd.Context(), oldName, newName); err != nil {
				return &ExitError{Code: 1, Err: fmt.Errorf("failed to rename container: %w", err)}
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}
