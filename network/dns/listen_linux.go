package dns

import (
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// listenConfig binds IPv6 addresses with IPV6_FREEBIND: a bridge's IPv6
// gateway address stays "tentative" (duplicate address detection) until the
// bridge has carrier, i.e. until a first container's veth is enslaved, and
// binding a tentative address fails with EADDRNOTAVAIL. aardvark-dns hit the
// same race. IPv4 addresses are usable at once and keep the strict bind, so
// a wrong address still fails loudly.
func listenConfig(a netip.Addr) *net.ListenConfig {
	if !a.Is6() || a.Is4In6() {
		return &net.ListenConfig{}
	}
	return &net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_FREEBIND, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
}
