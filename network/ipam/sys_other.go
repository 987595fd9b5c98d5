//go:build !linux

package ipam

import (
	"errors"
	"os"
)

// onggi runs on Linux only; this keeps the package compiling elsewhere.
func flock(f *os.File) error {
	return errors.Join(errors.New("ipam: flock is not supported on this platform"), errors.ErrUnsupported)
}
