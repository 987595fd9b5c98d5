//go:build !linux

package volume

import (
	"errors"
	"io/fs"
	"os"
)

// onggi runs on Linux only; these keep the package compiling elsewhere.

func flock(f *os.File) error { return errors.ErrUnsupported }

func renameNoReplace(oldPath, newPath string) error { return errors.ErrUnsupported }

func hardLinkKey(fs.FileInfo) ([2]uint64, bool) { return [2]uint64{}, false }
