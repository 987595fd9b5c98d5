package cli

import "github.com/spf13/cobra"

func newRuntimeStartCmd(rg *runtimeGlobals) *cobra.Command {
	return &cobra.Command{
		Use:   "start <container-id>",
		Short: "executes the user defined process in a created container",
		Args:  needArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := rg.load(args)
			if err != nil {
				return err
			}
			return c.Start()
		},
	}
}
