package network

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/errdefs"
)

// subnetLockPath is a variable so tests can use a temporary path.
var subnetLockPath = "/run/lock/onggi-subnets.lock"

// SubnetLock takes the host-wide lock held while a subnet is picked and
// its bridge created, so that two onggi roots (or two `network create`)
// never pick the same subnet. It is shared by every instance on the host,
// hence /run/lock rather than a path under the root.
func SubnetLock() (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(subnetLockPath), 0o755); err != nil {
		return nil, fmt.Errorf("subnet lock: %w", err)
	}
	return lockFile(subnetLockPath)
}

// PickSubnet returns the first /24 of 10.89.0.0/24, 10.89.1.0/24, …,
// 10.89.255.0/24, 10.90.0.0/24, … 10.255.255.0/24 that overlaps none of
// avoid (the host's routes and the subnets of existing networks, which
// the caller gathers). Default routes (/0) in avoid are ignored: they
// overlap everything. None free is ErrUnavailable, with docker's message.
func PickSubnet(avoid []netip.Prefix) (netip.Prefix, error) {
	for second := 89; second <= 255; second++ {
		for third := 0; third <= 255; third++ {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(second), byte(third), 0}), 24)
			if !overlapsAny(p, avoid) {
				return p, nil
			}
		}
	}
	return netip.Prefix{}, errdefs.Errorf(errdefs.ErrUnavailable,
		"could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")
}

func overlapsAny(p netip.Prefix, avoid []netip.Prefix) bool {
	for _, a := range avoid {
		if a.IsValid() && a.Bits() > 0 && a.Overlaps(p) {
			return true
		}
	}
	return false
}

// Overlaps reports whether p overlaps any of the subnets of nets, so the
// engine can refuse a --subnet that collides with an existing network
// (docker: "Pool overlaps with other one on this address space").
func Overlaps(p netip.Prefix, nets []*Network) bool {
	for _, n := range nets {
		for _, s := range n.Subnets {
			if s.Prefix.Overlaps(p) {
				return true
			}
		}
	}
	return false
}

// AllSubnets lists the subnets of nets, for PickSubnet's avoid list.
func AllSubnets(nets []*Network) []netip.Prefix {
	var out []netip.Prefix
	for _, n := range nets {
		for _, s := range n.Subnets {
			out = append(out, s.Prefix)
		}
	}
	return out
}

// ULASubnet is the IPv6 subnet of a network created with --ipv6 and no
// IPv6 --subnet: a unique local fdXX:XXXX:XXXX::/64 (RFC 4193) whose
// 40-bit global id comes from the network id, so it is stable for the
// network and unlikely to collide with another's.
func ULASubnet(id string) netip.Prefix {
	sum := sha256.Sum256([]byte(id))
	var a [16]byte
	a[0] = 0xfd
	copy(a[1:6], sum[:5])
	return netip.PrefixFrom(netip.AddrFrom16(a), 64)
}
