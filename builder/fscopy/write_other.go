//go:build !linux

package fscopy

import "github.com/onggi/onggi/errdefs"

func copyAll(destRoot string, src Source, o Options) error {
	return errdefs.Errorf(errdefs.ErrInvalid, "COPY/ADD: not supported on this platform")
}
