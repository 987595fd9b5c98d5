package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

var _ = addContainerCommand(newExportCmd)

func newExportCmd(g *Globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && isTerminalWriter(cmd.OutOrStdout()) {
				return &ExitError{Code: 1, Err: errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")}
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			return writeOutput(output, cmd.OutOrStdout(), func(w io.Writer) error {
				return e.ExportContainer(cmd.Context(), args[0], w)
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

// isTerminalWriter reports whether w is a terminal (docker refuses to
// write archives there).
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// writeOutput runs write into path (a temporary file renamed into place,
// so a failed export leaves no truncated archive behind), or into stdout
// when path is "".
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) (retErr error) {
	if path == "" {
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".onggi-export-*")
	if err != nil {
		return fmt.Errorf("failed to export container: %w", err)
	}
	defer func() {
		if retErr != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
