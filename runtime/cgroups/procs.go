//go:build linux

package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// readPidsRecursive returns the pids in cgroup.procs of dir and of every
// cgroup below it.
func readPidsRecursive(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil // a sub-cgroup removed while we walk
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				return fmt.Errorf("parsing pid %q in %s/cgroup.procs: %w", f, p, err)
			}
			pids = append(pids, pid)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing pids of cgroup %s: %w", dir, err)
	}
	return pids, nil
}

// removeCgroup removes dir and its sub-cgroups, deepest first. rmdir of a
// cgroup whose last task just exited can fail with EBUSY for a moment while
// the kernel finishes tearing the task down, so EBUSY is retried with
// exponential backoff (1ms doubling, about 1s in all); success returns at
// once. A container's cgroup rarely has sub-cgroups, so rmdir is tried
// before the directory is listed.
func removeCgroup(dir string) error {
	if err := unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("removing cgroup: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeCgroup(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	delay := time.Millisecond
	for attempt := 0; ; attempt++ {
		err := unix.Rmdir(dir)
		switch {
		case err == nil, errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EBUSY) && attempt < 10:
			time.Sleep(delay)
			delay *= 2
		default:
			return fmt.Errorf("removing cgroup: %w", &os.PathError{Op: "rmdir", Path: dir, Err: err})
		}
	}
}
