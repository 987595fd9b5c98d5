//go:build !linux || !cgo

package seccomp

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// Load needs libseccomp (linux, cgo). Without it a nil cfg is still fine.
func Load(cfg *specs.LinuxSeccomp) error {
	_, err := LoadNotify(cfg)
	return err
}

// LoadNotify needs libseccomp (linux, cgo).
func LoadNotify(cfg *specs.LinuxSeccomp) (*os.File, error) {
	if cfg == nil {
		return nil, nil
	}
	if err := Validate(cfg); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("loading linux.seccomp: built without libseccomp (needs linux and cgo): %w", ErrUnsupported)
}

// Features reports seccomp as disabled in this build.
func Features() *features.Seccomp {
	disabled := false
	return &features.Seccomp{Enabled: &disabled}
}
