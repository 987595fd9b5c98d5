package cli

import "github.com/spf13/cobra"

var _ = addCommand(newTagCmd)

func newTagCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			return imageError(args[0], e.TagImage(cmd.Context(), args[0], args[1]))
		},
	}
}
