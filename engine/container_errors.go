package engine

import "fmt"

// classError carries docker's exact wording (users and scripts match it)
// while still answering errors.Is for its errdefs class; wrapping with %w
// would append the class name to the message.
type classError struct {
	msg   string
	class error
}

func (e *classError) Error() string { return e.msg }
func (e *classError) Unwrap() error { return e.class }

// classed formats a message of error class class.
func classed(class error, format string, args ...any) error {
	return &classError{msg: fmt.Sprintf(format, args...), class: class}
}
