//go:build !linux

package builder

func makeWorkdir(rootfs, wd, user string) error { return errNotSupported }
