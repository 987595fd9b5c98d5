//go:build !linux

package layer

import (
	"archive/tar"
	"io"
	"os"
)

// Unpacking needs Linux's *at calls with no-follow semantics to be safe;
// elsewhere it refuses rather than risk writing outside the layer.

func (a *applier) clear(name string, keepDir bool) error {
	return &os.PathError{Op: "apply", Path: name, Err: errUnsupported}
}

func (a *applier) mkdir(name string, hdr *tar.Header) error {
	return &os.PathError{Op: "mkdir", Path: name, Err: errUnsupported}
}

func (a *applier) file(name string, hdr *tar.Header, r io.Reader) error {
	return &os.PathError{Op: "create", Path: name, Err: errUnsupported}
}

func (a *applier) symlink(name string, hdr *tar.Header) error {
	return &os.PathError{Op: "symlink", Path: name, Err: errUnsupported}
}
