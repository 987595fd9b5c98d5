//go:build !linux

package snapshot

import "errors"

func overlaySupported(tmp string) error { return errors.New("overlayfs is Linux-only") }

func overlayExtraOptions() []string { return nil }
