//go:build linux

package cgroups

import (
	"fmt"
	"path/filepath"
)

// New returns the Manager for an OCI cgroupsPath (see config.cgroupPath for
// its forms) and container id on this host. It changes nothing on disk;
// Apply creates the cgroup.
func New(cgroupsPath, id string, opts ...Option) (Manager, error) {
	c := newConfig(opts)
	p, relative, err := c.cgroupPath(cgroupsPath, id)
	if err != nil {
		return nil, err
	}
	mode, err := c.mode()
	if err != nil {
		return nil, err
	}
	if mode == Unified {
		return newFS2(c, p, relative)
	}
	return newFS1(c, p, relative, mode == Hybrid)
}

// Load returns the Manager for paths saved from Paths(). A lone "" key is a
// cgroup2 directory; anything else is v1 (with "" as the hybrid cgroup2
// directory).
func Load(paths map[string]string, opts ...Option) (Manager, error) {
	c := newConfig(opts)
	if len(paths) == 0 {
		return nil, fmt.Errorf("loading cgroup: no paths: %w", ErrInvalid)
	}
	for k, p := range paths {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("loading cgroup: %s path %q is not absolute: %w", k, p, ErrInvalid)
		}
	}
	if dir, ok := paths[""]; ok && len(paths) == 1 {
		return &fs2Manager{cfg: c, dir: filepath.Clean(dir)}, nil
	}
	m := &fs1Manager{cfg: c, paths: map[string]string{}}
	for k, p := range paths {
		m.paths[k] = filepath.Clean(p)
	}
	return m, nil
}
