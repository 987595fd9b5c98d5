package nft

import (
	"fmt"
	"net/netip"

	"github.com/onggi/onggi/errdefs"
)

// Kernel limits the names are checked against before anything is sent, so
// a bad Ruleset is an ErrInvalid naming the field rather than a netlink
// EINVAL naming nothing.
const (
	maxTableName = 255 // NFT_NAME_MAXLEN - 1
	maxIfName    = 15  // IFNAMSIZ - 1
)

// protoNumbers maps the Proto strings a Port may carry to IP protocol
// numbers.
var protoNumbers = map[string]byte{"tcp": 6, "udp": 17, "sctp": 132}

func validTable(name string) error {
	if name == "" || len(name) > maxTableName {
		return errdefs.Errorf(errdefs.ErrInvalid, "nftables table name %q: must be 1-%d bytes", name, maxTableName)
	}
	return nil
}

// validate checks rs and returns it normalised: v4-mapped addresses
// unmapped, unspecified host addresses made the zero Addr, prefixes masked.
func validate(rs Ruleset) (Ruleset, error) {
	if err := validTable(rs.Table); err != nil {
		return rs, err
	}
	out := Ruleset{Table: rs.Table}
	seen := map[string]bool{}
	for _, n := range rs.Networks {
		if n.Bridge == "" || len(n.Bridge) > maxIfName {
			return rs, errdefs.Errorf(errdefs.ErrInvalid, "bridge name %q: must be 1-%d bytes", n.Bridge, maxIfName)
		}
		if seen[n.Bridge] {
			return rs, errdefs.Errorf(errdefs.ErrInvalid, "bridge %q listed twice", n.Bridge)
		}
		seen[n.Bridge] = true
		nn := Net{Bridge: n.Bridge, Internal: n.Internal}
		for _, p := range n.Subnets {
			if !p.IsValid() {
				return rs, errdefs.Errorf(errdefs.ErrInvalid, "bridge %q: invalid subnet", n.Bridge)
			}
			a := p.Addr().Unmap()
			bits := p.Bits()
			if p.Addr().Is4In6() {
				bits -= 96
			}
			nn.Subnets = append(nn.Subnets, netip.PrefixFrom(a, bits).Masked())
		}
		out.Networks = append(out.Networks, nn)
	}
	for _, p := range rs.Ports {
		np, err := validPort(p)
		if err != nil {
			return rs, err
		}
		out.Ports = append(out.Ports, np)
	}
	return out, nil
}

// Validate reports, as ErrInvalid, what Apply would reject in p, so the
// engine can refuse a bad -p at create time instead of failing the
// ruleset every container shares.
func (p Port) Validate() error {
	_, err := validPort(p)
	return err
}

func validPort(p Port) (Port, error) {
	desc := fmt.Sprintf("%s:%d/%s", p.HostIP, p.HostPort, p.Proto)
	if _, ok := protoNumbers[p.Proto]; !ok {
		return p, errdefs.Errorf(errdefs.ErrInvalid, "port %s: protocol must be tcp, udp or sctp", desc)
	}
	if p.HostPort == 0 || p.ContainerPort == 0 {
		return p, errdefs.Errorf(errdefs.ErrInvalid, "port %s: host and container ports must be non-zero", desc)
	}
	if !p.ContainerIP.IsValid() || p.ContainerIP.IsUnspecified() {
		return p, errdefs.Errorf(errdefs.ErrInvalid, "port %s: container address %q is not usable", desc, p.ContainerIP)
	}
	p.ContainerIP = p.ContainerIP.Unmap().WithZone("")
	p.HostIP = p.HostIP.Unmap().WithZone("")
	if p.HostIP.IsUnspecified() {
		p.HostIP = netip.Addr{}
	}
	if p.HostIP == netip.IPv6Loopback() {
		return p, errdefs.Errorf(errdefs.ErrInvalid,
			"port %s: the kernel cannot forward ::1 to a container (IPv6 has no route_localnet)", desc)
	}
	if p.HostIP.IsValid() && p.HostIP.Is4() != p.ContainerIP.Is4() {
		return p, errdefs.Errorf(errdefs.ErrInvalid,
			"port %s: host address and container address %s are of different families", desc, p.ContainerIP)
	}
	return p, nil
}
