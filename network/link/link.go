package link

import (
	"crypto/rand"
	"net"
	"net/netip"
	"strings"

	"github.com/onggi/onggi/errdefs"
)

// Bridge describes a Linux bridge EnsureBridge creates or completes.
type Bridge struct {
	// Name is the interface name ("onggi0", "br-<id[:12]>").
	Name string
	// Addrs are the gateway addresses with their subnet's prefix length
	// (10.89.0.1/24, fd00::1/64); missing ones are added, others kept.
	Addrs []netip.Prefix
	// MTU is the bridge's MTU; 0 keeps the kernel's default.
	MTU int
}

// Veth describes one container endpoint AddVeth creates: a veth pair whose
// host end is enslaved to Bridge and whose container end lives in NetNS.
type Veth struct {
	// HostName is the host end's name ("veth" + 7 hex).
	HostName string
	// Bridge is the bridge the host end is enslaved to.
	Bridge string
	// NetNS is the path of the container's bind-mounted netns file.
	NetNS string
	// IfName is the container end's final name (eth0, eth1, …).
	IfName string
	// MAC is the container end's address; nil lets the kernel pick.
	MAC net.HardwareAddr
	// MTU applies to both ends; 0 keeps the kernel's default.
	MTU int
	// Addrs are the container's addresses with their prefix length.
	Addrs []netip.Prefix
	// Gateways get one default route each, per family; none = no route.
	Gateways []netip.Addr
}

// GenerateMAC returns the container MAC for ip: 02:42 followed by the four
// IPv4 bytes, as docker does, so a MAC is stable for an address and never
// collides on one bridge while the addresses do not. For an IPv6-only
// endpoint (or no address) it returns a random locally administered unicast
// MAC, since 16 bytes cannot be folded into 4 without collisions.
func GenerateMAC(ip netip.Addr) net.HardwareAddr {
	ip = ip.Unmap()
	if ip.Is4() {
		b := ip.As4()
		return net.HardwareAddr{0x02, 0x42, b[0], b[1], b[2], b[3]}
	}
	return randomMAC()
}

// randomMAC returns a random unicast MAC with the locally administered bit
// set, so it can never clash with a vendor-assigned address.
func randomMAC() net.HardwareAddr {
	mac := make(net.HardwareAddr, 6)
	_, _ = rand.Read(mac) // crypto/rand.Read never fails (Go ≥ 1.24)
	mac[0] = mac[0]&0xfe | 0x02
	return mac
}

// validName reports whether name is usable as a kernel interface name. The
// name also becomes a /proc/sys path element, so "/" and "." / ".." must
// never get through.
func validName(name string) error {
	if name == "" || len(name) > 15 || name == "." || name == ".." ||
		strings.ContainsAny(name, "/: \t\n") {
		return errdefs.Errorf(errdefs.ErrInvalid, "invalid interface name %q", name)
	}
	return nil
}
