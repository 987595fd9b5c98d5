//go:build !linux

package container

import "errors"

// onggi runs on Linux only; this keeps the package compiling elsewhere.
func renameNoReplace(oldPath, newPath string) error { return errors.ErrUnsupported }
