package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

var _ = addCommand(newLoadCmd)

type loadOptions struct {
	input string
	quiet bool
}

func newLoadCmd(g *Globals) *cobra.Command {
	o := &loadOptions{}
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLoad(cmd, g, o)
		},
	}
	cmd.Flags().StringVarP(&o.input, "input", "i", "", "Read from tar archive file (docker-archive or OCI, optionally gzip/zstd), instead of STDIN")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "Suppress the load output")
	return cmd
}

func runLoad(cmd *cobra.Command, g *Globals, o *loadOptions) error {
	var r io.Reader = cmd.InOrStdin()
	if o.input != "" && o.input != "-" {
		f, err := os.Open(o.input)
		if err != nil {
			return &ExitError{Code: 125, Err: err}
		}
		defer f.Close()
		r = f
	} else if f, ok := r.(*os.File); ok && imageIsTerminal(f) {
		return &ExitError{Code: 125, Err: errors.New("requested load from stdin, but stdin is empty")}
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	loaded, err := e.LoadImages(cmd.Context(), r)
	if err != nil {
		return imageError("", err)
	}
	if o.quiet {
		return nil
	}
	out := cmd.OutOrStdout()
	for _, l := range loaded {
		if len(l.Names) == 0 {
			fmt.Fprintf(out, "Loaded image ID: %s\n", l.ID)
		}
		for _, n := range l.Names {
			fmt.Fprintf(out, "Loaded image: %s\n", n)
		}
	}
	return nil
}
