package link

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/onggi/onggi/errdefs"
)

// EnsureBridge creates the bridge if missing and completes it: MTU,
// missing addresses, up, route_localnet. It is idempotent and safe under
// parallel callers (several onggi processes may attach the first
// containers of one network at once): whoever loses a create or address
// race gets EEXIST, which counts as done. Addresses not in b are kept.
func EnsureBridge(b Bridge) error {
	if err := validName(b.Name); err != nil {
		return err
	}
	h := hostHandle()
	l, err := ensureBridgeLink(h, b)
	if err != nil {
		return err
	}
	if b.MTU > 0 && l.Attrs().MTU != b.MTU {
		if err := h.LinkSetMTU(l, b.MTU); err != nil {
			return classify(err, "setting MTU %d on bridge %s", b.MTU, b.Name)
		}
	}
	// route_localnet lets the DNAT of a connection to 127.0.0.1:port be
	// routed out of this bridge; the kernel drops martian 127/8 traffic on
	// any interface without it.
	if err := ensureSysctl("net.ipv4.conf."+b.Name+".route_localnet", "1"); err != nil {
		return err
	}
	if hasV6(b.Addrs) {
		// The gateway address must answer at once; DAD would also run for
		// link-local addresses on every port change for nothing.
		if err := ensureSysctl("net.ipv6.conf."+b.Name+".accept_dad", "0"); err != nil {
			return err
		}
	}
	if err := ensureAddrs(h, l, b.Addrs); err != nil {
		return err
	}
	if err := h.LinkSetUp(l); err != nil {
		return classify(err, "bringing bridge %s up", b.Name)
	}
	return nil
}

// ensureBridgeLink returns the bridge called b.Name, creating it if needed.
func ensureBridgeLink(h *netlink.Handle, b Bridge) (netlink.Link, error) {
	l, err := linkByName(h, b.Name)
	if errors.Is(err, errdefs.ErrNotFound) {
		la := netlink.NewLinkAttrs()
		la.Name = b.Name
		la.MTU = b.MTU
		// An explicit MAC pins the bridge's address: left to the kernel, a
		// bridge takes the lowest MAC of its ports and changes it as
		// containers come and go, breaking every container's ARP entry for
		// the gateway.
		la.HardwareAddr = randomMAC()
		err = h.LinkAdd(&netlink.Bridge{LinkAttrs: la})
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, classify(err, "creating bridge %s", b.Name)
		}
		l, err = linkByName(h, b.Name)
	}
	if err != nil {
		return nil, err
	}
	if l.Type() != "bridge" {
		return nil, errdefs.Errorf(errdefs.ErrConflict, "link %s exists and is a %s, not a bridge", b.Name, l.Type())
	}
	return l, nil
}

// ensureAddrs adds the addresses of want that l lacks.
func ensureAddrs(h *netlink.Handle, l netlink.Link, want []netip.Prefix) error {
	have, err := h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("listing addresses of %s: %w", l.Attrs().Name, err)
	}
	for _, p := range want {
		if !p.IsValid() {
			return errdefs.Errorf(errdefs.ErrInvalid, "invalid address for %s", l.Attrs().Name)
		}
		if hasAddr(have, p) {
			continue
		}
		if err := h.AddrAdd(l, netlinkAddr(p)); err != nil && !errors.Is(err, unix.EEXIST) {
			return classify(err, "adding %s to %s", p, l.Attrs().Name)
		}
	}
	return nil
}

// hasAddr reports whether have holds p (address and prefix length).
func hasAddr(have []netlink.Addr, p netip.Prefix) bool {
	for _, a := range have {
		ip, ok := netip.AddrFromSlice(a.IP)
		ones, _ := a.Mask.Size()
		if ok && ip.Unmap() == p.Addr().Unmap() && ones == p.Bits() {
			return true
		}
	}
	return false
}

// DeleteBridge removes the bridge called name; a missing one is not an
// error. A link of another type is refused rather than deleted, since a
// user-chosen bridge name could name a physical interface.
func DeleteBridge(name string) error {
	if err := validName(name); err != nil {
		return err
	}
	h := hostHandle()
	l, err := linkByName(h, name)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if l.Type() != "bridge" {
		return errdefs.Errorf(errdefs.ErrConflict, "link %s is a %s, not a bridge", name, l.Type())
	}
	if err := h.LinkDel(l); err != nil && !isNotFound(err) {
		return classify(err, "deleting bridge %s", name)
	}
	return nil
}
