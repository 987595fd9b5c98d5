//go:build linux

package cgroups

import (
	"fmt"

	"github.com/onggi/onggi/runtime/cgroups/devices"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setDevicesV2 replaces the cgroup's eBPF device filter (cgroup2 has no
// devices.allow/deny files). Rules are validated here first so bad input
// is an ErrInvalid like on v1.
func setDevicesV2(dir string, r *specs.LinuxResources) error {
	for _, d := range r.Devices {
		if _, err := deviceRuleV1(d); err != nil {
			return err
		}
	}
	if err := devices.Apply(dir, r.Devices); err != nil {
		return fmt.Errorf("setting device rules on %s: %w", dir, err)
	}
	return nil
}
