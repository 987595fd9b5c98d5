package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/image/archive"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

var _ = addCommand(newSaveCmd)

type saveOptions struct {
	output, format string
}

func newSaveCmd(g *Globals) *cobra.Command {
	o := &saveOptions{}
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSave(cmd, g, o, args)
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "Write to a file, instead of STDOUT")
	cmd.Flags().StringVar(&o.format, "format", "docker", "Archive format: docker (docker-archive, also an OCI layout) or oci (OCI image layout)")
	return cmd
}

// runSave streams the archive to stdout, or writes -o through a temp file
// renamed into place, so a failed save never leaves a truncated archive
// under the requested name.
func runSave(cmd *cobra.Command, g *Globals, o *saveOptions, refs []string) (retErr error) {
	format := archive.Format(o.format)
	if format != archive.FormatDocker && format != archive.FormatOCI {
		return &ExitError{Code: 125, Err: fmt.Errorf("invalid --format %q: want docker or oci", o.format)}
	}
	var w io.Writer = cmd.OutOrStdout()
	var tmp *os.File
	if o.output == "" || o.output == "-" {
		if f, ok := w.(*os.File); ok && imageIsTerminal(f) {
			return &ExitError{Code: 125, Err: errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")}
		}
	} else {
		f, err := os.CreateTemp(filepath.Dir(o.output), ".onggi-save-*")
		if err != nil {
			return &ExitError{Code: 125, Err: fmt.Errorf("failed to save image: %w", err)}
		}
		tmp, w = f, f
		defer func() {
			if retErr != nil {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
	}
	e, err := imageEngine(g)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := e.SaveImages(cmd.Context(), w, refs, format); err != nil {
		return imageError(firstMissing(refs, err), err)
	}
	if tmp != nil {
		if err := finishSave(tmp, o.output); err != nil {
			return &ExitError{Code: 125, Err: err}
		}
	}
	return nil
}

// firstMissing names the ref in a not-found error when there is just one.
func firstMissing(refs []string, _ error) string {
	if len(refs) == 1 {
		return refs[0]
	}
	return ""
}

func finishSave(tmp *os.File, dest string) error {
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("failed to save image: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("failed to save image: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failed to save image: %w", err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("failed to save image: %w", err)
	}
	return nil
}

// imageIsTerminal reports whether f is a terminal (TCGETS succeeds).
func imageIsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
