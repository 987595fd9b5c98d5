package link

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/onggi/onggi/errdefs"
)

// AddVeth creates the endpoint v describes. The pair is made by one
// RTM_NEWLINK sent in the caller's (host) netns: the host end is the new
// link itself, up from birth, and the container end is its peer, created
// directly inside v.NetNS with its final name, MAC and MTU (see doc.go for
// why nothing is ever moved). Then the host end is enslaved to v.Bridge and
// the container end gets its addresses, comes up and gets one default route
// per gateway. On failure every step is undone: deleting the host end
// takes the peer with it.
func AddVeth(v Veth) (retErr error) {
	if err := validateVeth(v); err != nil {
		return err
	}
	h := hostHandle()
	br, err := linkByName(h, v.Bridge)
	if err != nil {
		return fmt.Errorf("attaching %s: %w", v.HostName, err)
	}
	ns, err := openNetNS(v.NetNS)
	if err != nil {
		return err
	}
	defer ns.Close()
	la := netlink.NewLinkAttrs()
	la.Name = v.HostName
	la.MTU = v.MTU
	la.Flags = net.FlagUp
	// MasterIndex is set below, not here: netlink's LinkAdd would enslave
	// after creating anyway, and a failure there must be told apart from a
	// failed create, which leaves nothing to undo (and EEXIST there means
	// the name belongs to someone else's endpoint).
	veth := &netlink.Veth{LinkAttrs: la, PeerName: v.IfName,
		PeerHardwareAddr: v.MAC, PeerNamespace: netlink.NsFd(ns)}
	if err := h.LinkAdd(veth); err != nil {
		return createError(h, v, err)
	}
	defer func() {
		if retErr != nil {
			if err := DeleteVeth(v.HostName); err != nil {
				retErr = errors.Join(retErr, fmt.Errorf("undoing veth %s: %w", v.HostName, err))
			}
		}
	}()
	if err := h.LinkSetMasterByIndex(veth, br.Attrs().Index); err != nil {
		return classify(err, "attaching %s to %s", v.HostName, v.Bridge)
	}
	// Hairpin: a container reaching its own published port is DNAT'd back
	// out of the port it came in by; with br_netfilter loaded a bridge
	// refuses that unless the port is in hairpin mode (docker sets it too).
	if err := h.LinkSetHairpin(veth, true); err != nil {
		return classify(err, "setting hairpin mode on %s", v.HostName)
	}
	return configureContainerEnd(v)
}

// createError says which name a failed create collided with: the host
// end's or the container end's inside the netns. Both are ErrExists.
func createError(h *netlink.Handle, v Veth, err error) error {
	if !errors.Is(err, unix.EEXIST) {
		return classify(err, "creating veth %s/%s", v.HostName, v.IfName)
	}
	if _, lerr := h.LinkByName(v.HostName); lerr == nil {
		return errdefs.Errorf(errdefs.ErrExists, "creating veth: host interface %s already exists", v.HostName)
	}
	return errdefs.Errorf(errdefs.ErrExists, "creating veth: interface %s already exists in netns %s", v.IfName, v.NetNS)
}

// validateVeth checks the names and addresses before anything is created.
func validateVeth(v Veth) error {
	for _, n := range []string{v.HostName, v.Bridge, v.IfName} {
		if err := validName(n); err != nil {
			return err
		}
	}
	if v.NetNS == "" {
		return errdefs.Errorf(errdefs.ErrInvalid, "veth %s: no netns", v.HostName)
	}
	if v.MAC != nil && len(v.MAC) != 6 {
		return errdefs.Errorf(errdefs.ErrInvalid, "invalid MAC address %s", v.MAC)
	}
	for _, p := range v.Addrs {
		if !p.IsValid() {
			return errdefs.Errorf(errdefs.ErrInvalid, "veth %s: invalid address", v.HostName)
		}
	}
	for _, g := range v.Gateways {
		if !g.IsValid() {
			return errdefs.Errorf(errdefs.ErrInvalid, "veth %s: invalid gateway", v.HostName)
		}
	}
	return nil
}

// configureContainerEnd gives the container end its addresses, brings it
// up and adds the default routes, all through a socket inside the netns.
// Routes come last: a gateway is reachable only through the connected
// route that appears once an address is on an up link.
func configureContainerEnd(v Veth) error {
	h, err := nsHandle(v.NetNS)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := linkByName(h, v.IfName)
	if err != nil {
		return fmt.Errorf("in netns %s: %w", v.NetNS, err)
	}
	for _, p := range v.Addrs {
		if err := h.AddrAdd(l, netlinkAddr(p)); err != nil {
			return classify(err, "adding %s to %s", p, v.IfName)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return classify(err, "bringing %s up", v.IfName)
	}
	for _, gw := range v.Gateways {
		if err := h.RouteAdd(defaultRoute(l, gw, v.Addrs)); err != nil {
			return classify(err, "adding default route via %s", gw)
		}
	}
	return nil
}

// defaultRoute is the default route via gw on l. A gateway outside every
// subnet of the endpoint (a /32 address, a user-chosen gateway) is marked
// on-link, or the kernel would refuse it as unreachable.
func defaultRoute(l netlink.Link, gw netip.Addr, addrs []netip.Prefix) *netlink.Route {
	gw = gw.Unmap()
	r := &netlink.Route{LinkIndex: l.Attrs().Index, Gw: gw.AsSlice(), Family: netlink.FAMILY_V4}
	if gw.Is6() {
		r.Family = netlink.FAMILY_V6
	}
	onLink := true
	for _, p := range addrs {
		if p.Masked().Contains(gw) {
			onLink = false
		}
	}
	if onLink {
		r.Flags = int(netlink.FLAG_ONLINK)
	}
	return r
}

// DeleteVeth removes the pair whose host end is hostName (the container end
// goes with it); a missing one is not an error.
func DeleteVeth(hostName string) error {
	if err := validName(hostName); err != nil {
		return err
	}
	return deleteLink(hostHandle(), hostName)
}

// deleteLink deletes a link by name; missing is success.
func deleteLink(h *netlink.Handle, name string) error {
	l, err := h.LinkByName(name)
	if err == nil {
		err = h.LinkDel(l)
	}
	if err != nil && !isNotFound(err) {
		return classify(err, "deleting link %s", name)
	}
	return nil
}

// DeleteLinkInNetNS removes the interface ifName inside the netns at
// netnsPath (disconnect: for a veth this removes the host end too). A
// missing interface or netns is not an error.
func DeleteLinkInNetNS(netnsPath, ifName string) error {
	if err := validName(ifName); err != nil {
		return err
	}
	h, err := nsHandle(netnsPath)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer h.Close()
	return deleteLink(h, ifName)
}

// NextIfName returns the first ethN (N from 0) not used inside the netns at
// netnsPath, the name the next connected network gets.
func NextIfName(netnsPath string) (string, error) {
	h, err := nsHandle(netnsPath)
	if err != nil {
		return "", err
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return "", fmt.Errorf("listing links in %s: %w", netnsPath, err)
	}
	used := map[int]bool{}
	for _, l := range links {
		if n, ok := strings.CutPrefix(l.Attrs().Name, "eth"); ok {
			if i, err := strconv.Atoi(n); err == nil {
				used[i] = true
			}
		}
	}
	for i := 0; ; i++ {
		if !used[i] {
			return "eth" + strconv.Itoa(i), nil
		}
	}
}
