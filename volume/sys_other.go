//go:build !linux

package volume

import (
	"errors"
	"io/fs"
)

// onggi runs on Linux only; these keep the package compiling elsewhere.

func renameNoReplace(oldPath, newPath string) error { return errors.ErrUnsupported }

func hardLinkKey(fs.FileInfo) ([2]uint64, bool) { return [2]uint64{}, false }
