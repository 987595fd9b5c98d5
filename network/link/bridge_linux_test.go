package link

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/onggi/onggi/errdefs"
)

func TestEnsureBridge(t *testing.T) {
	requireRoot(t)
	host, b := testBridge(t)
	h := handle(t, host)
	l, err := h.LinkByName(b.Name)
	if err != nil {
		t.Fatal(err)
	}
	if l.Type() != "bridge" || l.Attrs().MTU != 1400 || l.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("bridge: type %s MTU %d flags %v", l.Type(), l.Attrs().MTU, l.Attrs().Flags)
	}
	if got := readSysctlIn(t, host, "net.ipv4.conf.ogtest0.route_localnet"); got != "1" {
		t.Errorf("route_localnet = %s, want 1", got)
	}
	if got := readSysctlIn(t, host, "net.ipv6.conf.ogtest0.accept_dad"); got != "0" {
		t.Errorf("accept_dad = %s, want 0", got)
	}

	// Idempotent; a new address is added, the others are not duplicated.
	extra := netip.MustParsePrefix("10.89.5.1/24")
	b2 := b
	b2.Addrs = append([]netip.Prefix{extra}, b.Addrs...)
	in(t, host, func() error { return EnsureBridge(b2) })
	in(t, host, func() error { return EnsureBridge(b) })
	checkAddrs(t, h, l, b2.Addrs)

	in(t, host, func() error { return DeleteBridge(b.Name) })
	if _, err := h.LinkByName(b.Name); err == nil {
		t.Error("bridge still there after DeleteBridge")
	}
	in(t, host, func() error { return DeleteBridge(b.Name) }) // missing = nil
	in(t, host, func() error {
		if err := DeleteBridge("lo"); !errors.Is(err, errdefs.ErrConflict) {
			t.Errorf("DeleteBridge(lo) = %v, want ErrConflict", err)
		}
		if err := EnsureBridge(Bridge{Name: "lo"}); !errors.Is(err, errdefs.ErrConflict) {
			t.Errorf("EnsureBridge(lo) = %v, want ErrConflict", err)
		}
		return nil
	})
}

func TestEnsureBridgeParallel(t *testing.T) {
	requireRoot(t)
	host := testNetNS(t)
	b := Bridge{Name: "ogpar0", Addrs: []netip.Prefix{
		netip.MustParsePrefix("10.89.3.1/24"), netip.MustParsePrefix("fd00:3::1/64")}}
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Go(func() { errs[i] = inNetNS(host, func() error { return EnsureBridge(b) }) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	h := handle(t, host)
	l, err := h.LinkByName(b.Name)
	if err != nil {
		t.Fatal(err)
	}
	checkAddrs(t, h, l, b.Addrs)
}

// checkAddrs fails unless l has each of want exactly once.
func checkAddrs(t *testing.T, h *netlink.Handle, l netlink.Link, want []netip.Prefix) {
	t.Helper()
	have, err := h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range want {
		n := 0
		for _, a := range have {
			if hasAddr([]netlink.Addr{a}, p) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s has %s %d times, want once", l.Attrs().Name, p, n)
		}
	}
}

func TestHostRoutes(t *testing.T) {
	requireRoot(t)
	host, _ := testBridge(t)
	var got []netip.Prefix
	in(t, host, func() (err error) { got, err = HostRoutes(); return err })
	for _, want := range []string{"10.89.0.0/24", "fd00:89::/64", "127.0.0.0/8"} {
		found := false
		for _, p := range got {
			found = found || p == netip.MustParsePrefix(want)
		}
		if !found {
			t.Errorf("HostRoutes() = %v, lacks %s", got, want)
		}
	}
	for _, p := range got {
		if p.Bits() == 0 {
			t.Errorf("HostRoutes() has a default route %s", p)
		}
	}
}
