package cli

import (
	"fmt"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

func newImageBootstrapCmd(g *Globals) *cobra.Command {
	o := engine.BootstrapOptions{}
	cmd := &cobra.Command{
		Use:   "bootstrap busybox|debian:SUITE [OPTIONS]",
		Short: "Build a base image locally (busybox from busybox-static, debian with debootstrap)",
		Long: "Build a base image without a registry and tag it with its Docker Hub name:\n" +
			"  busybox          busybox:latest from /bin/busybox (Debian's busybox-static)\n" +
			"  debian:bookworm  debian:bookworm with debootstrap --variant=minbase (cached under --root)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			img, err := e.Bootstrap(cmd.Context(), args[0], o)
			if err != nil {
				return imageError("", err)
			}
			for _, t := range img.FamiliarTags() {
				fmt.Fprintf(cmd.OutOrStdout(), "Bootstrapped image: %s\n", t)
			}
			fmt.Fprintln(cmd.OutOrStdout(), img.ID)
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&o.Include, "include", nil, "debian: extra packages to install (comma-separated)")
	cmd.Flags().StringVar(&o.Mirror, "mirror", "", "debian: apt mirror (default: the one in /etc/apt/sources.list*)")
	cmd.Flags().StringVar(&o.Busybox, "busybox", "", "busybox: the static binary to use (default /bin/busybox)")
	return cmd
}
