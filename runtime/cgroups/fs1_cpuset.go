//go:build linux

package cgroups

import (
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func wantCpuset(r *specs.LinuxResources) bool {
	return r.CPU != nil && (r.CPU.Cpus != "" || r.CPU.Mems != "")
}

func setCpusetV1(dir string, r *specs.LinuxResources) error {
	if r.CPU.Cpus != "" {
		if err := writeFile(dir, "cpuset.cpus", r.CPU.Cpus); err != nil {
			return err
		}
	}
	if r.CPU.Mems != "" {
		return writeFile(dir, "cpuset.mems", r.CPU.Mems)
	}
	return nil
}

// mkdirCpuset creates a v1 cpuset cgroup. A new v1 cpuset starts with empty
// cpuset.cpus and cpuset.mems and refuses tasks until they are set, so
// every empty level, from the nearest filled ancestor down, copies its
// parent's values.
func mkdirCpuset(dir string) ([]string, error) {
	made, err := mkdirAll(dir)
	if err != nil {
		return made, err
	}
	var empty []string
	for d := dir; ; d = filepath.Dir(d) {
		full, err := cpusetFilled(d)
		if err != nil {
			return made, fmt.Errorf("preparing cpuset %s: %w", dir, err)
		}
		if full {
			break
		}
		if d == filepath.Dir(d) {
			return made, fmt.Errorf("preparing cpuset %s: no ancestor has cpus and mems: %w", dir, ErrNotAvailable)
		}
		empty = append(empty, d)
	}
	for i := len(empty) - 1; i >= 0; i-- {
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if err := inheritCpuset(empty[i], f); err != nil {
				return made, err
			}
		}
	}
	return made, nil
}

func cpusetFilled(dir string) (bool, error) {
	cpus, err := readFile(dir, "cpuset.cpus")
	if err != nil {
		return false, err
	}
	mems, err := readFile(dir, "cpuset.mems")
	if err != nil {
		return false, err
	}
	return cpus != "" && mems != "", nil
}

func inheritCpuset(dir, file string) error {
	cur, err := readFile(dir, file)
	if err != nil {
		return fmt.Errorf("preparing cpuset %s: %w", dir, err)
	}
	if cur != "" {
		return nil
	}
	parent, err := readFile(filepath.Dir(dir), file)
	if err != nil {
		return fmt.Errorf("preparing cpuset %s: %w", dir, err)
	}
	return writeFile(dir, file, parent)
}
