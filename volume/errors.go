package volume

import (
	"fmt"

	"github.com/onggi/onggi/errdefs"
)

// classError keeps docker's exact wording (a %w wrap would append the
// class name) while answering errors.Is for its errdefs class.
type classError struct {
	msg   string
	class error
}

func (e *classError) Error() string { return e.msg }
func (e *classError) Unwrap() error { return e.class }

func classed(class error, format string, args ...any) error {
	return &classError{msg: fmt.Sprintf(format, args...), class: class}
}

func notFound(name string) error {
	return classed(errdefs.ErrNotFound, "no such volume: %s", name)
}

func invalid(format string, args ...any) error {
	return classed(errdefs.ErrInvalid, format, args...)
}
