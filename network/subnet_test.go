package network

import (
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

func prefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestPickSubnet(t *testing.T) {
	cases := []struct {
		avoid []string
		want  string
	}{
		{nil, "10.89.0.0/24"},
		{[]string{"0.0.0.0/0", "::/0"}, "10.89.0.0/24"},            // default routes ignored
		{[]string{"10.89.0.0/24", "fd00::/8"}, "10.89.1.0/24"},     // existing network
		{[]string{"10.89.0.128/25"}, "10.89.1.0/24"},               // partial overlap
		{[]string{"10.89.0.0/23", "10.89.2.5/32"}, "10.89.3.0/24"}, // host route
		{[]string{"10.0.0.0/8"}, ""},                               // every candidate
		{[]string{"10.89.0.0/16"}, "10.90.0.0/24"},
	}
	for _, c := range cases {
		got, err := PickSubnet(prefixes(c.avoid...))
		if c.want == "" {
			if !errors.Is(err, errdefs.ErrUnavailable) {
				t.Errorf("avoid %v: %v, %v; want ErrUnavailable", c.avoid, got, err)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("avoid %v: %v, %v; want %s", c.avoid, got, err, c.want)
		}
	}
}

func TestAllSubnets(t *testing.T) {
	nets := []*Network{
		{Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.89.0.0/24")}, {Prefix: netip.MustParsePrefix("fd00::/64")}}},
		{},
		{Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.89.1.0/24")}}},
	}
	got, err := PickSubnet(AllSubnets(nets))
	if len(AllSubnets(nets)) != 3 || err != nil || got.String() != "10.89.2.0/24" {
		t.Fatalf("AllSubnets %v, pick %v %v", AllSubnets(nets), got, err)
	}
}

func TestParseSubnets(t *testing.T) {
	type sub struct{ prefix, gw, rng string }
	cases := []struct {
		name            string
		subnet, gw, rng []string
		want            []sub
		err             string
	}{
		{name: "empty"},
		{name: "plain", subnet: []string{"172.28.0.0/16"},
			want: []sub{{"172.28.0.0/16", "172.28.0.1", ""}}},
		{name: "all", subnet: []string{"172.28.0.0/16", "fd00:28::/64"}, gw: []string{"fd00:28::fe", "172.28.5.254"},
			rng:  []string{"172.28.5.0/24"},
			want: []sub{{"172.28.0.0/16", "172.28.5.254", "172.28.5.0/24"}, {"fd00:28::/64", "fd00:28::fe", ""}}},
		{name: "gateway outside", subnet: []string{"10.1.0.0/24"}, gw: []string{"10.2.0.1"},
			err: "no matching subnet for gateway 10.2.0.1"},
		{name: "gateway garbage", subnet: []string{"10.1.0.0/24"}, gw: []string{"nope"},
			err: "no matching subnet for gateway nope"},
		{name: "range outside", subnet: []string{"10.1.0.0/24"}, rng: []string{"10.2.0.0/25"},
			err: "no matching subnet for range 10.2.0.0/25"},
		{name: "too many gateways", subnet: []string{"10.1.0.0/24"}, gw: []string{"10.1.0.1", "10.1.0.2"},
			err: "every ip-range or gateway must have a corresponding subnet"},
		{name: "two gateways one subnet", subnet: []string{"10.1.0.0/24", "10.2.0.0/24"}, gw: []string{"10.1.0.1", "10.1.0.2"},
			err: "cannot configure multiple gateways (10.1.0.2, 10.1.0.1) for the same subnet (10.1.0.0/24)"},
		{name: "two ranges one subnet", subnet: []string{"10.1.0.0/24", "10.2.0.0/24"}, rng: []string{"10.1.0.0/25", "10.1.0.128/25"},
			err: "cannot configure multiple ranges (10.1.0.128/25, 10.1.0.0/25) on the same subnet (10.1.0.0/24)"},
		{name: "overlap", subnet: []string{"10.0.0.0/8", "10.1.0.0/16"},
			err: "multiple overlapping subnet configuration is not supported"},
		{name: "bad subnet", subnet: []string{"10.1.0.0"},
			err: "invalid subnet: invalid CIDR address: 10.1.0.0"},
		{name: "bad range", subnet: []string{"10.1.0.0/24"}, rng: []string{"10.1.0.0/99"},
			err: "invalid CIDR address: 10.1.0.0/99"},
		{name: "host bits", subnet: []string{"10.1.1.1/24"},
			err: "invalid network config:\ninvalid subnet 10.1.1.1/24: it should be 10.1.1.0/24"},
		{name: "range host bits and bigger", subnet: []string{"10.1.1.0/24"}, rng: []string{"10.1.1.5/23"},
			err: "invalid network config:\n* invalid ip-range 10.1.1.5/23: CIDR block is bigger than its parent subnet 10.1.1.0/24\n" +
				"* invalid ip-range 10.1.1.5/23: it should be 10.1.0.0/23"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseSubnets(c.subnet, c.gw, c.rng)
			if c.err != "" {
				if err == nil || err.Error() != c.err || !errors.Is(err, errdefs.ErrInvalid) {
					t.Fatalf("err = %v, want %q (ErrInvalid)", err, c.err)
				}
				return
			}
			if err != nil || len(got) != len(c.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			for i, w := range c.want {
				g := got[i]
				rng := ""
				if g.IPRange.IsValid() {
					rng = g.IPRange.String()
				}
				if g.Prefix.String() != w.prefix || g.Gateway.String() != w.gw || rng != w.rng {
					t.Errorf("subnet %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestULASubnet(t *testing.T) {
	a, b := ULASubnet(strings.Repeat("a", 64)), ULASubnet(strings.Repeat("b", 64))
	if a != ULASubnet(strings.Repeat("a", 64)) || a == b {
		t.Fatalf("not stable or not distinct: %s %s", a, b)
	}
	if a.Bits() != 64 || a.Addr().As16()[0] != 0xfd || a != a.Masked() {
		t.Fatalf("not a ULA /64: %s", a)
	}
	if DefaultGateway(a) != a.Addr().Next() {
		t.Fatalf("gateway %s", DefaultGateway(a))
	}
	if DefaultGateway(netip.MustParsePrefix("10.0.0.0/31")).IsValid() {
		t.Fatal("gateway for a /31")
	}
}

func TestInstanceTagAndNames(t *testing.T) {
	if InstanceTag("/var/lib/onggi") != "" || InstanceTag("/var/lib/onggi/") != "" {
		t.Fatal("default root has a tag")
	}
	tag := InstanceTag("/tmp/x")
	if len(tag) != 6 || tag == InstanceTag("/tmp/y") || tag != InstanceTag("/tmp//x/") {
		t.Fatalf("tag %q", tag)
	}
	if DefaultBridgeName("") != "onggi0" || DefaultBridgeName(tag) != "og"+tag+"0" || len(DefaultBridgeName(tag)) > 15 {
		t.Fatal("default bridge names")
	}
	if UserBridgeName("0123456789abcdef") != "br-0123456789ab" {
		t.Fatal(UserBridgeName("0123456789abcdef"))
	}
}

func TestSubnetLock(t *testing.T) {
	old := subnetLockPath
	subnetLockPath = filepath.Join(t.TempDir(), "lock", "subnets.lock")
	t.Cleanup(func() { subnetLockPath = old })
	unlock, err := SubnetLock()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		u, err := SubnetLock()
		if err == nil {
			u()
		}
		close(done)
	}()
	unlock()
	<-done
}
