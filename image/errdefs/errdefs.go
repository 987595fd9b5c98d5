// Package errdefs holds the error classes shared by image/ and its
// subpackages. The values are onggi's project-wide classes (package
// github.com/onggi/onggi/errdefs), so errors.Is(err, image.ErrNotFound) and
// errors.Is(err, errdefs.ErrNotFound) agree; package image re-exports them.
package errdefs

import "github.com/onggi/onggi/errdefs"

// Error classes. Wrap them with %w and context naming the object.
var (
	ErrNotFound = errdefs.ErrNotFound
	ErrExists   = errdefs.ErrExists
	ErrInvalid  = errdefs.ErrInvalid
	ErrInUse    = errdefs.ErrInUse
)
