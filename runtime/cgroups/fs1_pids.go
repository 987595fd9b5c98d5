//go:build linux

package cgroups

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func wantPids(r *specs.LinuxResources) bool { return r.Pids != nil && r.Pids.Limit != nil }

// pidsMax renders the OCI limit: 0 and negatives mean "no limit".
func pidsMax(limit int64) string {
	if limit <= 0 {
		return "max"
	}
	return strconv.FormatInt(limit, 10)
}

func setPidsV1(dir string, r *specs.LinuxResources) error {
	return writeFile(dir, "pids.max", pidsMax(*r.Pids.Limit))
}

// pidsStats reads pids.current and pids.max; same files on v1 and v2.
func pidsStats(dir string, s *Stats) error {
	var err error
	if s.Pids.Current, err = readUint(dir, "pids.current"); err != nil {
		return err
	}
	s.Pids.Limit, err = readUint(dir, "pids.max")
	return err
}
