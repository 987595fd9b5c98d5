package driver

import (
	"errors"

	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/runtime"
)

// classified is an error of the runtime with the errdefs class the engine
// tests for. It prints as the original, and errors.Is finds both (the CLI
// needs runtime.ErrNoExecutable for exit code 127, the engine the class).
type classified struct {
	err, class error
}

func (c *classified) Error() string   { return c.err.Error() }
func (c *classified) Unwrap() []error { return []error{c.err, c.class} }

// runtimeClasses maps onggi's runtime errors to errdefs classes.
var runtimeClasses = []struct{ from, to error }{
	{runtime.ErrNotExist, errdefs.ErrNotFound},
	{runtime.ErrExist, errdefs.ErrExists},
	{runtime.ErrInvalid, errdefs.ErrInvalid},
	{runtime.ErrConflict, errdefs.ErrConflict},
	{runtime.ErrNotRunning, errdefs.ErrNotRunning},
}

// classify adds the errdefs class to an error of onggi's runtime.
func classify(err error) error {
	if err == nil {
		return nil
	}
	for _, c := range runtimeClasses {
		if errors.Is(err, c.from) {
			return &classified{err: err, class: c.to}
		}
	}
	return err
}
