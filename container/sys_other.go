//go:build !linux

package container

import (
	"errors"
	"os"
)

// onggi runs on Linux only; these keep the package compiling elsewhere.

func flock(f *os.File) error { return errors.ErrUnsupported }

func renameNoReplace(oldPath, newPath string) error { return errors.ErrUnsupported }
