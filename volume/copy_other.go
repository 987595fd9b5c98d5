//go:build !linux

package volume

import "errors"

func copyTree(src, dst string) error { return errors.ErrUnsupported }
