//go:build !linux

package dns

import (
	"net"
	"net/netip"
)

// listenConfig binds plainly: IPV6_FREEBIND is Linux's.
func listenConfig(netip.Addr) *net.ListenConfig { return &net.ListenConfig{} }
