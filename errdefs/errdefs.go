// Package errdefs holds the error classes every onggi subsystem classifies
// its errors with (STYLE.md habit 4). It imports nothing of onggi's, so any
// package may use it; callers test with errors.Is, and cli/ and api/ map each
// class to an exit code or HTTP status in one place.
package errdefs

import (
	"errors"
	"fmt"
)

// Error classes. Wrap them with %w and context naming the object.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrInvalid  = errors.New("invalid")
	ErrInUse    = errors.New("in use")
	// ErrConflict is an operation the object's current state forbids
	// (removing a running container without force, starting a paused one).
	ErrConflict = errors.New("conflict")
	// ErrNotRunning is an operation that needs a running container.
	ErrNotRunning = errors.New("is not running")
	// ErrUnavailable is a dependency that could not be reached (the monitor).
	ErrUnavailable = errors.New("unavailable")
)

// Errorf formats an error as fmt.Errorf does (so %w still wraps a cause)
// and puts it in class without adding the class's word to the message:
// docker's messages ("No such container: x") stay exactly docker's while
// errors.Is(err, class) holds.
func Errorf(class error, format string, args ...any) error {
	return &classed{err: fmt.Errorf(format, args...), class: class}
}

type classed struct {
	err   error
	class error
}

func (e *classed) Error() string   { return e.err.Error() }
func (e *classed) Unwrap() []error { return []error{e.err, e.class} }
