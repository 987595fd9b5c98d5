//go:build linux

package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func wantDevices(r *specs.LinuxResources) bool { return len(r.Devices) > 0 }

// setDevicesV1 writes the rules in spec order, each to devices.allow or
// devices.deny, so the last matching rule wins as the spec requires. A
// leading deny-all ("a *:* rwm") first resets the cgroup to deny
// everything, dropping whatever the previous Set allowed.
func setDevicesV1(dir string, r *specs.LinuxResources) error {
	writes, err := devicesV1Writes(r.Devices)
	if err != nil {
		return err
	}
	for _, w := range writes {
		if err := writeFile(dir, w.file, w.value); err != nil {
			return err
		}
	}
	return nil
}

// fileWrite is one write to a control file that takes many writes.
type fileWrite struct{ file, value string }

func devicesV1Writes(rules []specs.LinuxDeviceCgroup) ([]fileWrite, error) {
	var out []fileWrite
	for _, d := range rules {
		rule, err := deviceRuleV1(d)
		if err != nil {
			return nil, err
		}
		file := "devices.deny"
		if d.Allow {
			file = "devices.allow"
		}
		out = append(out, fileWrite{file, rule})
	}
	return out, nil
}

// deviceRuleV1 renders a rule as the kernel reads it: "c 1:3 rwm", with
// "*" for a missing major/minor and "a" for every device.
func deviceRuleV1(d specs.LinuxDeviceCgroup) (string, error) {
	typ := d.Type
	switch typ {
	case "", "a":
		typ = "a"
	case "b", "c":
	default:
		return "", fmt.Errorf("device rule type %q: want a, b or c: %w", d.Type, ErrInvalid)
	}
	access := d.Access
	if access == "" {
		access = "rwm"
	}
	for _, ch := range access {
		if ch != 'r' && ch != 'w' && ch != 'm' {
			return "", fmt.Errorf("device rule access %q: want a subset of rwm: %w", d.Access, ErrInvalid)
		}
	}
	return fmt.Sprintf("%s %s:%s %s", typ, devNum(d.Major), devNum(d.Minor), access), nil
}

func devNum(n *int64) string {
	if n == nil || *n < 0 {
		return "*"
	}
	return strconv.FormatInt(*n, 10)
}
