package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image/reference"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newCreateCmd)

func newCreateCmd(g *Globals) *cobra.Command {
	var o *containerOptions
	cmd := &cobra.Command{
		Use:                   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short:                 "Create a new container",
		DisableFlagsInUseLine: true,
		Args:                  requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.image, o.args = args[0], args[1:]
			co, err := o.parseFor(cmd)
			if err != nil {
				return err
			}
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			c, err := createContainer(cmd, e, o, co)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c.ID)
			return nil
		},
	}
	o = addContainerFlags(cmd.Flags())
	cmd.SetFlagErrorFunc(flagError)
	return cmd
}

// parseFor parses the flags of run/create, giving a parse error docker's
// help hint and status 125.
func (o *containerOptions) parseFor(cmd *cobra.Command) (engine.CreateOptions, error) {
	if err := validatePull(o.pull); err != nil {
		return engine.CreateOptions{}, withHelp(cmd, err)
	}
	co, err := o.parse(cmd.Flags())
	if err != nil {
		return engine.CreateOptions{}, withHelp(cmd, err)
	}
	return co, nil
}

// validatePull accepts docker's --pull values. onggi never pulls
// implicitly (a run must not reach the network behind the user's back, and
// tests run offline), so "always" is refused with a way out.
func validatePull(p string) error {
	switch p {
	case "", "missing", "never":
		return nil
	case "always":
		return errors.New(`--pull=always is not supported: onggi does not pull implicitly; run "onggi pull" first`)
	}
	return fmt.Errorf(`invalid pull option: '%s': must be one of "always", "missing" or "never"`, p)
}

// createContainer creates the container, printing docker's warnings, the
// missing-image notice, and writing --cidfile.
func createContainer(cmd *cobra.Command, e *engine.Engine, o *containerOptions, co engine.CreateOptions) (*container.Container, error) {
	if o.cidfile != "" {
		if _, err := os.Stat(o.cidfile); err == nil {
			return nil, &ExitError{Code: exitEngine, Err: fmt.Errorf("container ID file found, make sure the other container isn't running or delete %s", o.cidfile)}
		}
	}
	c, warnings, err := e.CreateContainer(cmd.Context(), co)
	for _, w := range warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "WARNING:", w)
	}
	if err != nil {
		return nil, createError(cmd.Context(), cmd.ErrOrStderr(), e, o, err)
	}
	if o.cidfile != "" {
		if werr := os.WriteFile(o.cidfile, []byte(c.ID), 0o644); werr != nil {
			return nil, &ExitError{Code: exitEngine, Err: fmt.Errorf("failed to write the container ID to the file: %w", werr)}
		}
	}
	return c, nil
}

// createError words a create failure: a missing image is docker's "Unable
// to find image … locally" notice then "No such image", status 125.
func createError(ctx context.Context, stderr io.Writer, e *engine.Engine, o *containerOptions, err error) error {
	if errors.Is(err, errdefs.ErrNotFound) {
		// The engine's not-found may be the image or something else (a
		// volume): ask the store which.
		if _, gerr := e.Images().Get(ctx, o.image); errors.Is(gerr, errdefs.ErrNotFound) {
			ref := familiarRef(o.image)
			if o.pull != "never" {
				fmt.Fprintf(stderr, "Unable to find image '%s' locally\n", ref)
			}
			return &ExitError{Code: exitEngine, Err: &noSuchImage{ref: ref, err: err}}
		}
	}
	return containerError(err)
}

// familiarRef is the image reference as docker prints it (busybox:latest).
func familiarRef(s string) string {
	r, err := reference.Parse(s)
	if err != nil || r.Digest() != "" {
		return s
	}
	if r.Tag() == "" {
		if t, terr := r.WithTag("latest"); terr == nil {
			return t.Familiar()
		}
	}
	return r.Familiar()
}

// withHelp is docker's parse-error wording for run/create, status 125.
func withHelp(cmd *cobra.Command, err error) error {
	return &ExitError{Code: exitEngine, Err: fmt.Errorf("%w\n\nRun '%s --help' for more information", err, cmd.CommandPath())}
}

// flagError gives cobra's flag errors docker's hint and status 125.
func flagError(cmd *cobra.Command, err error) error {
	return &ExitError{Code: exitEngine, Err: fmt.Errorf("%w\nSee '%s --help'.", err, cmd.CommandPath())}
}

// requiresMinArgs is docker's argument check and message (status 1, as
// docker's CLI exits for it).
func requiresMinArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= n {
			return nil
		}
		return argsError(cmd, "at least", n)
	}
}

// requiresExactArgs is requiresMinArgs for an exact count.
func requiresExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return argsError(cmd, "exactly", n)
	}
}

func argsError(cmd *cobra.Command, how string, n int) error {
	plural := "s"
	if n == 1 {
		plural = ""
	}
	return &ExitError{Code: 1, Err: fmt.Errorf("%q requires %s %d argument%s.\nSee '%s --help'.\n\nUsage:  %s\n\n%s",
		cmd.CommandPath(), how, n, plural, cmd.CommandPath(), cmd.UseLine(), cmd.Short)}
}
