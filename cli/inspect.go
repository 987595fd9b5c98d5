package cli

import (
	"errors"
	"fmt"

	"github.com/onggi/onggi/errdefs"
	"github.com/spf13/cobra"
)

// The top-level `inspect` takes any object; `container inspect`,
// `image inspect` and `volume inspect` take one kind.
var _ = addCommand(newInspectCmd)

func newInspectCmd(g *Globals) *cobra.Command {
	o := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on onggi objects",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.kind {
			case "", "container", "image", "volume", "network":
			default:
				return &ExitError{Code: 125, Err: fmt.Errorf("%q is not a valid value for --type", o.kind)}
			}
			return runInspect(cmd, g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.format, "format", "f", "", "Format output using a custom template ('json' or a Go template)")
	f.BoolVarP(&o.size, "size", "s", false, "Display total file sizes if the type is container")
	f.StringVar(&o.kind, "type", "", "Only inspect objects of the given type (container, image, volume, network)")
	return cmd
}

func isNotFound(err error) bool { return errors.Is(err, errdefs.ErrNotFound) }
