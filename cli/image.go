package cli

import (
	"errors"
	"fmt"

	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/image"
	"github.com/spf13/cobra"
)

// `onggi image` groups the image verbs; the most used ones also exist at the
// top level (images, rmi, tag, save, load, import) as in docker.
var _ = addCommand(newImageCmd)

func newImageCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Manage images",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	ls := newImageListCmd(g)
	ls.Use, ls.Aliases = "ls [OPTIONS] [REPOSITORY[:TAG]]", []string{"list"}
	rm := newRmiCmd(g)
	rm.Use, rm.Aliases = "rm [OPTIONS] IMAGE [IMAGE...]", []string{"remove", "rmi"}
	cmd.AddCommand(ls, rm, newImageInspectCmd(g), newImageHistoryCmd(g), newImagePruneCmd(g),
		newTagCmd(g), newSaveCmd(g), newLoadCmd(g), newImportCmd(g), newImageBootstrapCmd(g), newImageUnpackCmd(g))
	return cmd
}

// imageEngine opens the engine for an image command.
func imageEngine(g *Globals) (*engine.Engine, error) {
	e, err := engine.New(g.Root, g.RunRoot)
	if err != nil {
		return nil, &ExitError{Code: 125, Err: err}
	}
	return e, nil
}

// noSuchImage is docker's wording for a missing image ("Error response from
// daemon: No such image: x" there; onggi has no daemon, so no prefix).
type noSuchImage struct {
	ref string
	err error
}

func (e *noSuchImage) Error() string { return "No such image: " + e.ref }
func (e *noSuchImage) Unwrap() error { return e.err }

// imageError gives an engine error docker's wording and exit status 125.
func imageError(ref string, err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	if ref != "" && errors.Is(err, image.ErrNotFound) {
		err = &noSuchImage{ref: ref, err: err}
	}
	return &ExitError{Code: 125, Err: err}
}

// imageUsage is a usage error found in RunE (cobra reports flag errors
// itself): the message, docker's "See 'CMD --help'." hint, exit status 125.
func imageUsage(cmd *cobra.Command, format string, args ...any) error {
	return &ExitError{Code: 125, Err: fmt.Errorf(format+"\nSee '%s --help'.", append(args, cmd.CommandPath())...)}
}
