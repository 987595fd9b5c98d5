package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/onggi/onggi/engine"
	"github.com/spf13/cobra"
)

var _ = addCommand(newImportCmd)

type importOptions struct {
	changes []string
	message string
}

func newImportCmd(g *Globals) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] file|-|URL [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd, g, o, args)
		},
	}
	cmd.Flags().StringArrayVarP(&o.changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	cmd.Flags().StringVarP(&o.message, "message", "m", "", "Set commit message for imported image")
	return cmd
}

func runImport(cmd *cobra.Command, g *Globals, o *importOptions, args []string) error {
	src := args[0]
	opts := engine.ImportOptions{Changes: o.changes, Message: o.message, Source: src}
	if len(args) == 2 {
		opts.Ref = args[1]
	}
	var r io.Reader
	switch {
	case strings.Contains(src, "://"):
		return &ExitError{Code: 125, Err: fmt.Errorf("importing from a URL (%s) is not supported: onggi fetches nothing over the network here; download the file and import it", src)}
	case src == "-":
		r = cmd.InOrStdin()
		if f, ok := r.(*os.File); ok && imageIsTerminal(f) {
			return &ExitError{Code: 125, Err: errors.New("requested import from stdin, but stdin is a terminal")}
		}
	default:
		f, err := os.Open(src)
		if err != nil {
			return &ExitError{Code: 125, Err: err}
		}
		defer f.Close()
		r = f
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	id, err := e.ImportImage(cmd.Context(), r, opts)
	if err != nil {
		return imageError("", err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), id)
	return nil
}
