//go:build linux

package seccomp

import (
	"fmt"

	profiles "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultProfile returns Docker's default seccomp profile (moby/profiles)
// resolved for spec: rules gated on capabilities follow
// spec.Process.Capabilities.Bounding and the host's architecture and kernel
// version, exactly as dockerd does. The engine puts it in linux.seccomp
// unless the user asks for another profile or `seccomp=unconfined`.
func DefaultProfile(spec *specs.Spec) (*specs.LinuxSeccomp, error) {
	// moby/profiles reads spec.Process.Capabilities.Bounding without nil
	// checks: hand it a copy where both exist (no capabilities = the
	// strictest profile).
	var s specs.Spec
	if spec != nil {
		s = *spec
	}
	var proc specs.Process
	if s.Process != nil {
		proc = *s.Process
	}
	if proc.Capabilities == nil {
		proc.Capabilities = &specs.LinuxCapabilities{}
	}
	s.Process = &proc
	p, err := profiles.GetDefaultProfile(&s)
	if err != nil {
		return nil, fmt.Errorf("building default seccomp profile: %w", err)
	}
	return p, nil
}
