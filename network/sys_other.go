//go:build !linux

package network

import (
	"errors"
	"os"
)

// onggi runs on Linux only; this keeps the package compiling elsewhere.
func flock(f *os.File) error {
	return errors.Join(errors.New("network: flock is not supported on this platform"), errors.ErrUnsupported)
}
