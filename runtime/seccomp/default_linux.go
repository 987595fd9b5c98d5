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
	if spec == nil {
		spec = &specs.Spec{}
	}
	p, err := profiles.GetDefaultProfile(spec)
	if err != nil {
		return nil, fmt.Errorf("building default seccomp profile: %w", err)
	}
	return p, nil
}
