//go:build !linux || !cgo

package seccomp

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// Filter is a compiled filter; without libseccomp there is none.
type Filter struct{}

// Compile needs libseccomp (linux, cgo). A nil cfg is still fine.
func Compile(cfg *specs.LinuxSeccomp) (*Filter, error) {
	if cfg == nil {
		return nil, nil
	}
	if err := Validate(cfg); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("compiling linux.seccomp: built without libseccomp (needs linux and cgo): %w", ErrUnsupported)
}

// Load of the nil Filter (the only one here) does nothing.
func (f *Filter) Load() (*os.File, error) { return nil, nil }

// Load needs libseccomp (linux, cgo). Without it a nil cfg is still fine.
func Load(cfg *specs.LinuxSeccomp) error {
	_, err := Compile(cfg)
	return err
}

// LoadNotify needs libseccomp (linux, cgo).
func LoadNotify(cfg *specs.LinuxSeccomp) (*os.File, error) {
	_, err := Compile(cfg)
	return nil, err
}

// Features reports seccomp as disabled in this build.
func Features() *features.Seccomp {
	disabled := false
	return &features.Seccomp{Enabled: &disabled}
}
