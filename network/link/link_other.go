//go:build !linux

package link

import (
	"errors"
	"net/netip"
)

var errUnsupported = errors.New("network links are only supported on Linux")

// EnsureBridge is not supported on this platform.
func EnsureBridge(Bridge) error { return errUnsupported }

// DeleteBridge is not supported on this platform.
func DeleteBridge(string) error { return errUnsupported }

// NewNetNS is not supported on this platform.
func NewNetNS(string) error { return errUnsupported }

// DeleteNetNS is not supported on this platform.
func DeleteNetNS(string) error { return errUnsupported }

// AddVeth is not supported on this platform.
func AddVeth(Veth) error { return errUnsupported }

// DeleteVeth is not supported on this platform.
func DeleteVeth(string) error { return errUnsupported }

// DeleteLinkInNetNS is not supported on this platform.
func DeleteLinkInNetNS(string, string) error { return errUnsupported }

// NextIfName is not supported on this platform.
func NextIfName(string) (string, error) { return "", errUnsupported }

// EnableForwarding is not supported on this platform.
func EnableForwarding(bool) error { return errUnsupported }

// HostRoutes is not supported on this platform.
func HostRoutes() ([]netip.Prefix, error) { return nil, errUnsupported }

// SetSysctlInNetNS is not supported on this platform.
func SetSysctlInNetNS(string, string, string) error { return errUnsupported }
