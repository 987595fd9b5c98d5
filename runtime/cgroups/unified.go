//go:build linux

package cgroups

import (
	"fmt"
	"sort"
	"strings"
)

// setUnified writes the spec's "unified" map (cgroup2 file → value) as
// given. Keys name a file directly in the cgroup directory, so anything
// that could reach another file (path separators, "..") is refused.
func setUnified(dir string, u map[string]string) error {
	keys := make([]string, 0, len(u))
	for k := range u {
		if err := validUnifiedKey(k); err != nil {
			return err
		}
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic order for errors and tests
	for _, k := range keys {
		if err := writeFile(dir, k, u[k]); err != nil {
			return err
		}
	}
	return nil
}

func validUnifiedKey(k string) error {
	if k == "" || strings.ContainsAny(k, "/\\\x00") || k == "." || k == ".." {
		return fmt.Errorf("unified key %q: must be a file name in the cgroup directory: %w", k, ErrInvalid)
	}
	ctrl, file, ok := strings.Cut(k, ".")
	if !ok || ctrl == "" || file == "" {
		return fmt.Errorf("unified key %q: want <controller>.<file>: %w", k, ErrInvalid)
	}
	// cgroup.procs/threads would move tasks; that is Apply's job.
	if k == "cgroup.procs" || k == "cgroup.threads" {
		return fmt.Errorf("unified key %q: not a resource: %w", k, ErrInvalid)
	}
	return nil
}
