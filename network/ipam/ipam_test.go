package ipam

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

const netA = "aaaaaaaaaaaa1111"

func open(t *testing.T) *Allocator {
	t.Helper()
	a, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func pool(prefix, gw, rng string) Pool {
	p := Pool{Prefix: netip.MustParsePrefix(prefix)}
	if gw != "" {
		p.Gateway = netip.MustParseAddr(gw)
	}
	if rng != "" {
		p.Range = netip.MustParsePrefix(rng)
	}
	return p
}

func alloc(t *testing.T, a *Allocator, p Pool, owner, want string) netip.Addr {
	t.Helper()
	var w netip.Addr
	if want != "" {
		w = netip.MustParseAddr(want)
	}
	got, err := a.Allocate(netA, p, owner, w)
	if err != nil {
		t.Fatalf("Allocate(%s, %q): %v", owner, want, err)
	}
	return got
}

func expect(t *testing.T, got netip.Addr, want string) {
	t.Helper()
	if got.String() != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestSequentialSkipsReserved(t *testing.T) {
	a := open(t)
	p := pool("10.89.1.0/24", "10.89.1.1", "")
	expect(t, alloc(t, a, p, "c1", ""), "10.89.1.2")
	expect(t, alloc(t, a, p, "c2", ""), "10.89.1.3")
	// Idempotent per owner and family.
	expect(t, alloc(t, a, p, "c1", ""), "10.89.1.2")
	expect(t, alloc(t, a, p, "c1", "10.89.1.2"), "10.89.1.2")
	if _, err := a.Allocate(netA, p, "c1", netip.MustParseAddr("10.89.1.9")); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("other want for an owner holding an address: %v, want ErrConflict", err)
	}
}

func TestReleaseNotReusedAtOnce(t *testing.T) {
	a := open(t)
	// /29: .0 network, .1 gateway, .7 broadcast: .2-.6 usable.
	p := pool("10.89.2.0/29", "10.89.2.1", "")
	for i := 2; i <= 4; i++ {
		expect(t, alloc(t, a, p, fmt.Sprint("c", i), ""), fmt.Sprint("10.89.2.", i))
	}
	if err := a.Release(netA, "c2"); err != nil {
		t.Fatal(err)
	}
	expect(t, alloc(t, a, p, "n1", ""), "10.89.2.5")
	expect(t, alloc(t, a, p, "n2", ""), "10.89.2.6")
	// Wraps past broadcast, network and gateway to the released .2.
	expect(t, alloc(t, a, p, "n3", ""), "10.89.2.2")
	if _, err := a.Allocate(netA, p, "n4", netip.Addr{}); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("full pool: %v, want ErrUnavailable", err)
	}
	owners, err := a.Owners(netA)
	if err != nil {
		t.Fatal(err)
	}
	if len(owners) != 5 || owners[netip.MustParseAddr("10.89.2.2")] != "n3" {
		t.Fatalf("owners = %v", owners)
	}
}

func TestWant(t *testing.T) {
	a := open(t)
	p := pool("10.89.3.0/24", "10.89.3.1", "10.89.3.128/25")
	expect(t, alloc(t, a, p, "c1", "10.89.3.10"), "10.89.3.10") // outside range, inside subnet
	expect(t, alloc(t, a, p, "c2", ""), "10.89.3.128")          // dynamic picks stay in range
	cases := []struct {
		want  string
		class error
	}{
		{"10.89.3.10", errdefs.ErrInUse},
		{"10.89.3.1", errdefs.ErrInUse},
		{"10.89.3.0", errdefs.ErrInvalid},
		{"10.89.3.255", errdefs.ErrInvalid},
		{"10.89.4.5", errdefs.ErrInvalid},
		{"fd00::5", errdefs.ErrInvalid},
	}
	for _, c := range cases {
		_, err := a.Allocate(netA, p, "x", netip.MustParseAddr(c.want))
		if !errors.Is(err, c.class) {
			t.Errorf("want %s: %v, want class %v", c.want, err, c.class)
		}
	}
	if owners, _ := a.Owners(netA); len(owners) != 2 {
		t.Fatalf("failed requests changed the table: %v", owners)
	}
}

func TestRangeExhaustion(t *testing.T) {
	a := open(t)
	p := pool("10.89.5.0/24", "10.89.5.1", "10.89.5.0/30")
	// The range holds .0 (network), .1 (gateway), .2, .3.
	expect(t, alloc(t, a, p, "c1", ""), "10.89.5.2")
	expect(t, alloc(t, a, p, "c2", ""), "10.89.5.3")
	if _, err := a.Allocate(netA, p, "c3", netip.Addr{}); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("full range: %v", err)
	}
	expect(t, alloc(t, a, p, "c3", "10.89.5.200"), "10.89.5.200")
}

func TestIPv6(t *testing.T) {
	a := open(t)
	p4 := pool("10.89.6.0/24", "10.89.6.1", "")
	p6 := pool("fd12:3456:789a::/64", "fd12:3456:789a::1", "")
	expect(t, alloc(t, a, p4, "c1", ""), "10.89.6.2")
	expect(t, alloc(t, a, p6, "c1", ""), "fd12:3456:789a::2")
	expect(t, alloc(t, a, p6, "c1", ""), "fd12:3456:789a::2")
	for i := 3; i < 200; i++ {
		expect(t, alloc(t, a, p6, fmt.Sprint("o", i), ""), fmt.Sprintf("fd12:3456:789a::%x", i))
	}
	if err := a.Release(netA, "c1"); err != nil {
		t.Fatal(err)
	}
	owners, _ := a.Owners(netA)
	if len(owners) != 197 {
		t.Fatalf("%d owners after release, want 197", len(owners))
	}
	// A tiny v6 range exhausts like a v4 one.
	if _, err := a.Allocate("v6small", pool("fd00::/126", "fd00::1", ""), "x", netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Allocate("v6small", pool("fd00::/126", "fd00::1", ""), "y", netip.Addr{}); err != nil {
		t.Fatal(err) // ::3: IPv6 has no broadcast
	}
	if _, err := a.Allocate("v6small", pool("fd00::/126", "fd00::1", ""), "z", netip.Addr{}); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("full /126: %v", err)
	}
}

func TestReleaseOwnerAndNetwork(t *testing.T) {
	a := open(t)
	p := pool("10.89.7.0/24", "10.89.7.1", "")
	for _, n := range []string{"n1", "n2", "n3"} {
		for _, o := range []string{"c1", "c2"} {
			if _, err := a.Allocate(n, p, o, netip.Addr{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := a.ReleaseOwner("c1"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"n1", "n2", "n3"} {
		owners, err := a.Owners(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(owners) != 1 || owners[netip.MustParseAddr("10.89.7.3")] != "c2" {
			t.Fatalf("%s owners = %v", n, owners)
		}
	}
	if err := a.ReleaseNetwork("n2"); err != nil {
		t.Fatal(err)
	}
	if owners, err := a.Owners("n2"); err != nil || len(owners) != 0 {
		t.Fatalf("after ReleaseNetwork: %v %v", owners, err)
	}
	if err := a.ReleaseNetwork("n2"); err != nil {
		t.Fatalf("second ReleaseNetwork: %v", err)
	}
	ids, _ := a.networks()
	if len(ids) != 2 {
		t.Fatalf("tables = %v", ids)
	}
}

func TestInvalid(t *testing.T) {
	a := open(t)
	if _, err := a.Allocate("../x", pool("10.0.0.0/24", "", ""), "c", netip.Addr{}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad id: %v", err)
	}
	if _, err := a.Allocate(netA, pool("10.0.0.0/24", "", "10.1.0.0/25"), "c", netip.Addr{}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("range outside subnet: %v", err)
	}
	if _, err := a.Allocate(netA, Pool{}, "c", netip.Addr{}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("no subnet: %v", err)
	}
}
