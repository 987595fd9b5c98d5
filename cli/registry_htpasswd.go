package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"
)

// newRegistryHtpasswdCmd prints an htpasswd line for the registry's users
// file, so that no apache2-utils is needed (`htpasswd -nB` does the same).
func newRegistryHtpasswdCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "htpasswd USER",
		Short: "Print an htpasswd (bcrypt) line for USER, reading the password from stdin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.ContainsAny(args[0], ":\n") {
				return fmt.Errorf("registry htpasswd: user name %q may not contain ':' or newlines", args[0])
			}
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("registry htpasswd: reading password: %w", err)
			}
			hash, err := bcrypt.GenerateFromPassword([]byte(strings.TrimRight(line, "\r\n")), bcrypt.DefaultCost)
			if err != nil {
				return fmt.Errorf("registry htpasswd: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s:%s\n", args[0], hash)
			return nil
		},
	}
}
