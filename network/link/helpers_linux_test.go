package link

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
)

// requireRoot skips tests that create namespaces and links.
func requireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root: creates network namespaces and links")
	}
}

var nsSeq atomic.Int64

// testNetNS creates a netns pinned under a temp dir and deletes it when the
// test ends (which frees every link inside it).
func testNetNS(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), fmt.Sprintf("ns%d", nsSeq.Add(1)))
	if err := NewNetNS(path); err != nil {
		tb.Fatalf("NewNetNS: %v", err)
	}
	tb.Cleanup(func() {
		if err := DeleteNetNS(path); err != nil {
			tb.Errorf("DeleteNetNS: %v", err)
		}
	})
	return path
}

// in runs fn on a thread inside the netns at ns and fails the test on error.
func in(tb testing.TB, ns string, fn func() error) {
	tb.Helper()
	if err := inNetNS(ns, fn); err != nil {
		tb.Fatal(err)
	}
}

// handle opens a netlink handle in ns, closed at the end of the test.
func handle(tb testing.TB, ns string) *netlink.Handle {
	tb.Helper()
	h, err := nsHandle(ns)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(h.Close)
	return h
}

// readSysctlIn reads a sysctl inside ns.
func readSysctlIn(tb testing.TB, ns, key string) string {
	tb.Helper()
	var val string
	in(tb, ns, func() error {
		p, err := sysctlPath(key)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		val = strings.TrimSpace(string(b))
		return err
	})
	return val
}

// testBridge makes a "host" netns holding a bridge with a v4 and a v6
// gateway address and returns the netns path and the bridge spec.
func testBridge(tb testing.TB) (string, Bridge) {
	tb.Helper()
	host := testNetNS(tb)
	b := Bridge{Name: "ogtest0", MTU: 1400, Addrs: []netip.Prefix{
		netip.MustParsePrefix("10.89.0.1/24"), netip.MustParsePrefix("fd00:89::1/64")}}
	in(tb, host, func() error { return EnsureBridge(b) })
	return host, b
}

// testVeth is the endpoint spec for container number i on b.
func testVeth(b Bridge, ns string, i int) Veth {
	ip4 := netip.AddrFrom4([4]byte{10, 89, 0, byte(10 + i)})
	ip6 := netip.MustParseAddr(fmt.Sprintf("fd00:89::%x", 10+i))
	return Veth{
		HostName: fmt.Sprintf("veth%07x", i), Bridge: b.Name, NetNS: ns, IfName: "eth0",
		MAC: GenerateMAC(ip4), MTU: b.MTU,
		Addrs:    []netip.Prefix{netip.PrefixFrom(ip4, 24), netip.PrefixFrom(ip6, 64)},
		Gateways: []netip.Addr{b.Addrs[0].Addr(), b.Addrs[1].Addr()},
	}
}
