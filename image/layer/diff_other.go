//go:build !linux

package layer

import "io/fs"

type fstat struct {
	uid, gid, nlink uint32
	dev, ino, rdev  uint64
}

func statOf(fi fs.FileInfo) fstat { return fstat{} }

func isOverlayWhiteout(fi fs.FileInfo) bool { return false }

func isOpaqueDir(path string) bool { return false }

func listXattrs(path string) (map[string]string, error) { return nil, nil }
