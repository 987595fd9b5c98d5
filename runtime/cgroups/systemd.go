package cgroups

import (
	"fmt"
	"path"
	"strings"
)

// systemdPath maps runc's --systemd-cgroup syntax "slice:prefix:name" to the
// cgroupfs path systemd gives the unit: "system.slice:docker:abc" →
// "/system.slice/docker-abc.scope", and a slice "a-b.slice" nests as
// "/a.slice/a-b.slice". A name ending in ".slice" is itself a slice.
func systemdPath(s string) (string, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return "", fmt.Errorf("systemd cgroupsPath %q: want slice:prefix:name: %w", s, ErrInvalid)
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	if slice == "" {
		slice = "system.slice"
	}
	parent, err := expandSlice(slice)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf("systemd cgroupsPath %q: empty name: %w", s, ErrInvalid)
	}
	if strings.HasSuffix(name, ".slice") {
		sub, err := expandSlice(name)
		if err != nil {
			return "", err
		}
		return path.Join(parent, path.Base(sub)), nil
	}
	unit := name + ".scope"
	if prefix != "" {
		unit = prefix + "-" + unit
	}
	if strings.Contains(unit, "/") {
		return "", fmt.Errorf("systemd unit %q contains '/': %w", unit, ErrInvalid)
	}
	return path.Join(parent, unit), nil
}

// expandSlice turns "a-b-c.slice" into "/a.slice/a-b.slice/a-b-c.slice"
// ("-.slice" is the root slice).
func expandSlice(slice string) (string, error) {
	base, ok := strings.CutSuffix(slice, ".slice")
	if !ok || strings.Contains(slice, "/") {
		return "", fmt.Errorf("invalid systemd slice %q: %w", slice, ErrInvalid)
	}
	if base == "-" {
		return "/", nil
	}
	if base == "" || strings.HasPrefix(base, "-") || strings.HasSuffix(base, "-") || strings.Contains(base, "--") {
		return "", fmt.Errorf("invalid systemd slice %q: %w", slice, ErrInvalid)
	}
	p, prefix := "/", ""
	for _, comp := range strings.Split(base, "-") {
		prefix += comp
		p = path.Join(p, prefix+".slice")
		prefix += "-"
	}
	return p, nil
}
