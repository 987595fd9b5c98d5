//go:build !linux

package flock

import (
	"errors"
	"os"
)

// onggi's stores run on Linux only; this keeps their packages compiling.
func lock(f *os.File) error {
	return &os.PathError{Op: "flock", Path: f.Name(), Err: errors.ErrUnsupported}
}
