//go:build !linux

package dns

import (
	"fmt"
	"os"

	"github.com/onggi/onggi/errdefs"
)

var errNotSupported = errdefs.Errorf(errdefs.ErrUnavailable, "dns responder: not supported on this platform")

// Ensure is Linux-only.
func Ensure(exe, runroot, netID string) error { return errNotSupported }

// Stop is Linux-only.
func Stop(runroot, netID string) error { return errNotSupported }

// Main is Linux-only.
func Main() {
	fmt.Fprintln(os.Stderr, errNotSupported)
	os.Exit(1)
}
