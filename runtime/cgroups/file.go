//go:build linux

package cgroups

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// writeFile writes value to the control file dir/name. The file must exist
// (O_CREAT is never used): on cgroupfs a missing file means the kernel lacks
// the feature, and creating a regular file would hide that.
func writeFile(dir, name, value string) error {
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("writing %q to %s: %w", value, p, ErrNotAvailable)
		}
		return fmt.Errorf("writing %q to %s: open: %w", value, p, bareErr(err))
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// The kernel's verdict on the value (EINVAL, EBUSY, ...) comes here.
		return fmt.Errorf("writing %q to %s: %w", value, p, bareErr(err))
	}
	return nil
}

// bareErr drops os.PathError's repetition of the path the caller already
// names, keeping the errno for errors.Is.
func bareErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readFile returns the trimmed content of dir/name.
func readFile(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", fmt.Errorf("reading cgroup file: %w", err)
	}
	return string(bytes.TrimSpace(b)), nil
}

// exists reports whether dir/name exists.
func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// readUint reads a single unsigned number; "max" reads as 0 with max=true.
func readUint(dir, name string) (uint64, error) {
	s, err := readFile(dir, name)
	if err != nil {
		return 0, err
	}
	return parseUint(s, filepath.Join(dir, name))
}

// parseUint parses a cgroup number. "max" and negative values (v1 prints
// -1 for "unlimited" in a few files) read as 0, like runc's stats.
func parseUint(s, where string) (uint64, error) {
	if s == "max" || strings.HasPrefix(s, "-") {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parsing %q in %s: %w", s, where, err)
	}
	return v, nil
}

// readKeyValues parses files made of "key value" lines (memory.stat,
// cpu.stat, cgroup.events, ...).
func readKeyValues(dir, name string) (map[string]uint64, error) {
	p := filepath.Join(dir, name)
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("reading cgroup file: %w", err)
	}
	defer f.Close()
	m := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			continue
		}
		n, err := parseUint(strings.TrimSpace(v), p)
		if err != nil {
			return nil, err
		}
		m[k] = n
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return m, nil
}

// parseUintList parses space-separated numbers (cpuacct.usage_percpu).
func parseUintList(s, where string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Fields(s) {
		v, err := parseUint(f, where)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func removeFile(dir, name string) error { return os.Remove(filepath.Join(dir, name)) }
