package container

import (
	"fmt"

	"github.com/onggi/onggi/errdefs"
)

// classError carries docker's exact wording (which users and scripts
// match) while still answering errors.Is for its errdefs class; wrapping
// with %w would append the class name to the message.
type classError struct {
	msg   string
	class error
}

func (e *classError) Error() string { return e.msg }
func (e *classError) Unwrap() error { return e.class }

func classed(class error, format string, args ...any) error {
	return &classError{msg: fmt.Sprintf(format, args...), class: class}
}

// notFound is docker's "No such container: x".
func notFound(ref string) error {
	return classed(errdefs.ErrNotFound, "No such container: %s", ref)
}

// nameInUse is docker's conflict message for a taken name.
func nameInUse(name, id string) error {
	return classed(errdefs.ErrExists, "Conflict. The container name \"/%s\" is already in use by container \"%s\". "+
		"You have to remove (or rename) that container to be able to reuse that name.", name, id)
}
