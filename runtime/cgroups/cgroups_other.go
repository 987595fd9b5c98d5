//go:build !linux

package cgroups

// New fails: cgroups are Linux only.
func New(cgroupsPath, id string, opts ...Option) (Manager, error) { return nil, ErrNotSupported }

// Load fails: cgroups are Linux only.
func Load(paths map[string]string, opts ...Option) (Manager, error) { return nil, ErrNotSupported }

// DetectMode fails: cgroups are Linux only.
func DetectMode(opts ...Option) (Mode, error) { return 0, ErrNotSupported }

func statfsMagic(string) (int64, error) { return 0, ErrNotSupported }
