package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/onggi/onggi/registry/client"
)

var _ = addCommand(newLogoutCmd)

func newLogoutCmd(_ *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			host := registryHost(server)
			shown := host
			if shown == "" {
				shown = "https://index.docker.io/v1/"
			}
			removed, err := client.Logout(host, "")
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			if !removed {
				fmt.Fprintf(cmd.OutOrStdout(), "Not logged in to %s\n", shown)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Removing login credentials for %s\n", shown)
			return nil
		},
	}
}
