//go:build linux

package cgroups

import specs "github.com/opencontainers/runtime-spec/specs-go"

// setCpusetV2 writes cpuset.cpus/mems. Unlike v1, an empty v2 cpuset means
// "inherit the parent's", so nothing needs copying at creation.
func setCpusetV2(dir string, r *specs.LinuxResources) error {
	return setCpusetV1(dir, r)
}
