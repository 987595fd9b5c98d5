package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/runtime/specconv"
	"github.com/spf13/cobra"
)

func newRuntimeSpecCmd(_ *runtimeGlobals) *cobra.Command {
	var bundle string
	var rootless bool
	cmd := &cobra.Command{
		Use:   "spec",
		Short: "create a new specification file",
		Args:  needArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := specconv.Example()
			if rootless {
				specconv.ToRootless(s)
			}
			path := filepath.Join(bundle, "config.json")
			if _, err := os.Stat(path); err == nil {
				// runc's wording, with the name as given.
				return errors.New("File config.json exists. Remove it first")
			} else if !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("checking %s: %w", path, err)
			}
			data, err := json.MarshalIndent(s, "", "\t")
			if err != nil {
				return err
			}
			return os.WriteFile(path, data, 0o666)
		},
	}
	cmd.Flags().StringVarP(&bundle, "bundle", "b", "", "path to the root of the bundle directory")
	cmd.Flags().BoolVar(&rootless, "rootless", false, "generate a configuration for a rootless container")
	return cmd
}
