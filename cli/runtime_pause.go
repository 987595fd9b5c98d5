package cli

import "github.com/spf13/cobra"

func newRuntimePauseCmd(rg *runtimeGlobals) *cobra.Command {
	return &cobra.Command{
		Use:   "pause <container-id>",
		Short: "pause suspends all processes inside the container",
		Args:  needArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := rg.load(args)
			if err != nil {
				return err
			}
			return c.Pause()
		},
	}
}

func newRuntimeResumeCmd(rg *runtimeGlobals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume <container-id>",
		Short: "resumes all processes that have been previously paused",
		Args:  needArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := rg.load(args)
			if err != nil {
				return err
			}
			return c.Resume()
		},
	}
}
