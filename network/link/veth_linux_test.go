package link

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/onggi/onggi/errdefs"
)

func TestAddVeth(t *testing.T) {
	requireRoot(t)
	host, b := testBridge(t)
	ctr := testNetNS(t)
	v := testVeth(b, ctr, 1)
	in(t, host, func() error { return AddVeth(v) })

	hh, ch := handle(t, host), handle(t, ctr)
	br, _ := hh.LinkByName(b.Name)
	hostEnd, err := hh.LinkByName(v.HostName)
	if err != nil {
		t.Fatal(err)
	}
	if hostEnd.Attrs().MasterIndex != br.Attrs().Index || hostEnd.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("host end: master %d (bridge %d), flags %v", hostEnd.Attrs().MasterIndex, br.Attrs().Index, hostEnd.Attrs().Flags)
	}
	if pi, err := hh.LinkGetProtinfo(hostEnd); err != nil || !pi.Hairpin {
		t.Errorf("host end: hairpin mode off (%+v, %v)", pi, err)
	}
	if _, err := hh.LinkByName("eth0"); err == nil {
		t.Error("eth0 appeared in the host netns")
	}
	eth0, err := ch.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	a := eth0.Attrs()
	if a.HardwareAddr.String() != v.MAC.String() || a.MTU != v.MTU || a.Flags&net.FlagUp == 0 {
		t.Errorf("eth0: MAC %s MTU %d flags %v; want %s %d up", a.HardwareAddr, a.MTU, a.Flags, v.MAC, v.MTU)
	}
	checkAddrs(t, ch, eth0, v.Addrs)
	checkNotTentative(t, ch, eth0)
	checkDefaultRoutes(t, ch, eth0, v.Gateways)

	// Reach a listener inside the container from the bridge's netns, over
	// both families, without ping.
	for _, addr := range v.Addrs {
		checkTCP(t, host, ctr, addr.Addr())
	}

	if got, err := NextIfName(ctr); err != nil || got != "eth1" {
		t.Errorf("NextIfName = %q, %v; want eth1", got, err)
	}
	in(t, host, func() error { return DeleteVeth(v.HostName) })
	if _, err := hh.LinkByName(v.HostName); err == nil {
		t.Error("host end still there after DeleteVeth")
	}
	if _, err := ch.LinkByName("eth0"); err == nil {
		t.Error("container end still there after DeleteVeth")
	}
	in(t, host, func() error { return DeleteVeth(v.HostName) }) // missing = nil
}

// checkNotTentative fails if an IPv6 address of l is still doing DAD.
func checkNotTentative(t *testing.T, h *netlink.Handle, l netlink.Link) {
	t.Helper()
	addrs, err := h.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.Scope == int(netlink.SCOPE_UNIVERSE) && a.Flags&unix.IFA_F_TENTATIVE != 0 {
			t.Errorf("%s is tentative", a.IPNet)
		}
	}
}

// checkDefaultRoutes fails unless l has a default route via each gateway.
func checkDefaultRoutes(t *testing.T, h *netlink.Handle, l netlink.Link, gws []netip.Addr) {
	t.Helper()
	routes, err := h.RouteList(l, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, gw := range gws {
		found := false
		for _, r := range routes {
			isDefault := r.Dst == nil || r.Dst.IP.IsUnspecified()
			found = found || isDefault && r.Gw.Equal(gw.AsSlice())
		}
		if !found {
			t.Errorf("no default route via %s in %v", gw, routes)
		}
	}
}

// checkTCP listens on ip inside ctr, dials it from host and checks a line
// goes through.
func checkTCP(t *testing.T, host, ctr string, ip netip.Addr) {
	t.Helper()
	var ln net.Listener
	in(t, ctr, func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(ip, 0).String())
		return err
	})
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			fmt.Fprintln(c, "hello from", ip)
			c.Close()
		}
	}()
	var line string
	in(t, host, func() error {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		line, err = bufio.NewReader(c).ReadString('\n')
		return err
	})
	if line != "hello from "+ip.String()+"\n" {
		t.Errorf("read %q over %s", line, ip)
	}
}

func TestAddVethFailureLeavesNothing(t *testing.T) {
	requireRoot(t)
	host, b := testBridge(t)
	ctr1, ctr2 := testNetNS(t), testNetNS(t)
	v1 := testVeth(b, ctr1, 1)
	in(t, host, func() error { return AddVeth(v1) })
	hh, ch1, ch2 := handle(t, host), handle(t, ctr1), handle(t, ctr2)

	// Same host name: the create fails and must not undo the other's veth.
	dup := testVeth(b, ctr2, 2)
	dup.HostName = v1.HostName
	in(t, host, func() error {
		if err := AddVeth(dup); !errors.Is(err, errdefs.ErrExists) {
			t.Errorf("AddVeth with a taken host name = %v, want ErrExists", err)
		}
		return nil
	})
	if _, err := ch1.LinkByName("eth0"); err != nil {
		t.Errorf("the first endpoint was hurt by the failed one: %v", err)
	}
	// eth0 taken inside the netns: the same class, nothing left in the host.
	again := testVeth(b, ctr1, 5)
	in(t, host, func() error {
		if err := AddVeth(again); !errors.Is(err, errdefs.ErrExists) {
			t.Errorf("AddVeth with eth0 taken = %v, want ErrExists", err)
		}
		return nil
	})
	if _, err := hh.LinkByName(again.HostName); err == nil {
		t.Errorf("%s left behind after a failed create", again.HostName)
	}

	// A failure after the pair exists (the address is given twice) is undone.
	bad := testVeth(b, ctr2, 3)
	bad.Addrs = append(bad.Addrs, bad.Addrs[0])
	// A missing bridge fails before anything is created.
	noBridge := testVeth(b, ctr2, 4)
	noBridge.Bridge = "nosuchbr0"
	in(t, host, func() error {
		if err := AddVeth(bad); err == nil {
			t.Error("AddVeth with a duplicate address succeeded")
		}
		if err := AddVeth(noBridge); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("AddVeth to a missing bridge = %v, want ErrNotFound", err)
		}
		return nil
	})
	for _, name := range []string{bad.HostName, noBridge.HostName} {
		if _, err := hh.LinkByName(name); err == nil {
			t.Errorf("%s left behind in the host netns", name)
		}
	}
	if _, err := ch2.LinkByName("eth0"); err == nil {
		t.Error("eth0 left behind in the container netns")
	}
}

func TestAddVethParallel(t *testing.T) {
	requireRoot(t)
	host, b := testBridge(t)
	const n = 30
	vs := make([]Veth, n)
	for i := range vs {
		vs[i] = testVeth(b, testNetNS(t), i)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range vs {
		wg.Go(func() { errs[i] = inNetNS(host, func() error { return AddVeth(vs[i]) }) })
	}
	wg.Wait()
	hh := handle(t, host)
	br, _ := hh.LinkByName(b.Name)
	names := map[string]bool{}
	for i, v := range vs {
		if errs[i] != nil {
			t.Errorf("AddVeth %d: %v", i, errs[i])
			continue
		}
		l, err := hh.LinkByName(v.HostName)
		if err != nil || l.Attrs().MasterIndex != br.Attrs().Index {
			t.Errorf("%s: %v, not on the bridge", v.HostName, err)
		}
		names[v.HostName] = true
		eth0, err := handle(t, v.NetNS).LinkByName("eth0")
		if err != nil || eth0.Attrs().HardwareAddr.String() != v.MAC.String() {
			t.Errorf("netns %d: eth0 %v", i, err)
		}
	}
	if len(names) != n {
		t.Errorf("%d distinct host names, want %d", len(names), n)
	}
}

func TestDeleteLinkInNetNS(t *testing.T) {
	requireRoot(t)
	host, b := testBridge(t)
	ctr := testNetNS(t)
	v0 := testVeth(b, ctr, 1)
	in(t, host, func() error { return AddVeth(v0) })
	name, err := NextIfName(ctr)
	if err != nil || name != "eth1" {
		t.Fatalf("NextIfName = %q, %v", name, err)
	}
	v1 := testVeth(b, ctr, 2)
	v1.IfName, v1.Gateways = name, nil // a second network: no second default route
	in(t, host, func() error { return AddVeth(v1) })

	if err := DeleteLinkInNetNS(ctr, "eth1"); err != nil {
		t.Fatal(err)
	}
	if _, err := handle(t, host).LinkByName(v1.HostName); err == nil {
		t.Error("host end of eth1 still there after DeleteLinkInNetNS")
	}
	if got, _ := NextIfName(ctr); got != "eth1" {
		t.Errorf("NextIfName after disconnect = %q, want eth1", got)
	}
	if err := DeleteLinkInNetNS(ctr, "eth1"); err != nil {
		t.Errorf("DeleteLinkInNetNS of a missing link = %v", err)
	}
	if err := DeleteLinkInNetNS(ctr+"-gone", "eth0"); err != nil {
		t.Errorf("DeleteLinkInNetNS in a missing netns = %v", err)
	}
}
