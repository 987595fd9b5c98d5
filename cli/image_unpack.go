package cli

import "github.com/spf13/cobra"

// newImageUnpackCmd is `image unpack IMAGE DIR`: the image's flattened
// root filesystem in a plain directory, as `umoci unpack` makes (the
// interoperability tests and bench/image.sh compare the two).
func newImageUnpackCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "unpack IMAGE DIR",
		Short: "Write an image's root filesystem into a directory",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			return imageError(args[0], e.UnpackImage(cmd.Context(), args[0], args[1]))
		},
	}
}
