//go:build linux

package cgroups

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

func statfsMagic(path string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	return int64(st.Type), nil
}

// DetectMode tells the host's cgroup layout from the filesystem type of the
// mount root (cgroup2 → Unified) and of its "unified" subdirectory (cgroup2
// → Hybrid, otherwise Legacy).
func DetectMode(opts ...Option) (Mode, error) {
	return newConfig(opts).mode()
}

func (c *config) mode() (Mode, error) {
	m, err := c.fsMagic(c.root)
	if err != nil {
		return 0, fmt.Errorf("detecting cgroup mode: %w", err)
	}
	if m == unix.CGROUP2_SUPER_MAGIC {
		return Unified, nil
	}
	if m != unix.TMPFS_MAGIC && m != unix.CGROUP_SUPER_MAGIC {
		return 0, fmt.Errorf("detecting cgroup mode: %s is neither cgroup2 nor a tmpfs of v1 hierarchies: %w", c.root, ErrNotAvailable)
	}
	if u, err := c.fsMagic(filepath.Join(c.root, "unified")); err == nil && u == unix.CGROUP2_SUPER_MAGIC {
		return Hybrid, nil
	}
	return Legacy, nil
}
