//go:build !linux

package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultProfile is Linux-only.
func DefaultProfile(*specs.Spec) (*specs.LinuxSeccomp, error) {
	return nil, fmt.Errorf("default seccomp profile: %w", ErrUnsupported)
}
