//go:build linux

package cgroups

import specs "github.com/opencontainers/runtime-spec/specs-go"

// setPidsV2: pids.max has the same syntax on v1 and v2.
func setPidsV2(dir string, r *specs.LinuxResources) error {
	return writeFile(dir, "pids.max", pidsMax(*r.Pids.Limit))
}
