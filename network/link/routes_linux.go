package link

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// HostRoutes returns every IPv4 and IPv6 destination in the main routing
// table plus the prefix of every address on every interface, so a subnet
// picker can avoid whatever the host already reaches. Default routes are
// left out: they overlap everything and would forbid every subnet.
func HostRoutes() ([]netip.Prefix, error) {
	h := hostHandle()
	routes, err := h.RouteListFiltered(netlink.FAMILY_ALL,
		&netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("listing host routes: %w", err)
	}
	addrs, err := h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("listing host addresses: %w", err)
	}
	seen := map[netip.Prefix]bool{}
	var out []netip.Prefix
	add := func(n *net.IPNet) {
		p, ok := ipNetPrefix(n)
		if ok && p.Bits() > 0 && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, r := range routes {
		add(r.Dst)
	}
	for _, a := range addrs {
		add(a.IPNet)
	}
	return out, nil
}

// ipNetPrefix converts to a masked netip.Prefix (IPv4 unmapped).
func ipNetPrefix(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, bits := n.Mask.Size()
	ip = ip.Unmap()
	if bits == 128 && ip.Is4() {
		ones -= 96
	}
	if ones < 0 || bits == 0 {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(ip, ones).Masked(), true
}
