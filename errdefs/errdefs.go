// Package errdefs holds the error classes every onggi subsystem classifies
// its errors with (STYLE.md habit 4). It imports nothing of onggi's, so any
// package may use it; callers test with errors.Is, and cli/ and api/ map each
// class to an exit code or HTTP status in one place.
package errdefs

import "errors"

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
