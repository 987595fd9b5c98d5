// Package errdefs holds the error classes shared by image/ and its
// subpackages. It is a leaf so that every image/ package can classify its
// errors without import cycles; package image re-exports the same values, so
// callers only ever need errors.Is(err, image.ErrNotFound) and friends.
package errdefs

import "errors"

// Error classes. Wrap them with %w and context naming the object.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrInvalid  = errors.New("invalid")
	ErrInUse    = errors.New("in use")
)
