//go:build !linux

package rootfs

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrUnsupported is returned on every platform but Linux.
var ErrUnsupported = errors.New("rootfs setup is only supported on Linux")

// Prepare is not supported on this platform.
func Prepare(spec *specs.Spec, rootfs string) error { return ErrUnsupported }

// PivotRoot is not supported on this platform.
func PivotRoot(rootfs string, noPivot bool) error { return ErrUnsupported }

// BindConsole is not supported on this platform.
func BindConsole(slavePath string) error { return ErrUnsupported }

// Finalize is not supported on this platform.
func Finalize(spec *specs.Spec) error { return ErrUnsupported }

// PrepareInHost is not supported on this platform.
func PrepareInHost(spec *specs.Spec, rootfs string) error { return ErrUnsupported }

// ChrootRoot is not supported on this platform.
func ChrootRoot(rootfs string) error { return ErrUnsupported }

// SnapshotMounts is not supported on this platform.
func SnapshotMounts() (MountSnapshot, error) { return nil, ErrUnsupported }

// NewMounts is not supported on this platform.
func (s MountSnapshot) NewMounts(rootfs string) ([]HostMount, error) { return nil, ErrUnsupported }

// UnmountHost is not supported on this platform.
func UnmountHost(rootfs string, mounts []HostMount) error { return ErrUnsupported }
