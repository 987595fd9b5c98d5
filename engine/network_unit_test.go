package engine

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"
)

func TestParseHostPorts(t *testing.T) {
	for in, want := range map[string][2]uint16{"": {0, 0}, "0": {0, 0}, "8080": {8080, 8080}, "8000-8010": {8000, 8010}} {
		lo, hi, err := parseHostPorts(in)
		if err != nil || lo != want[0] || hi != want[1] {
			t.Errorf("%q: %d-%d %v", in, lo, hi, err)
		}
	}
	for _, bad := range []string{"x", "9-1", "70000", "-5"} {
		if _, _, err := parseHostPorts(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestResolvePorts: fixed ports clash with other endpoints' (docker's
// "port is already allocated"), ephemeral and range ports skip taken
// ones and ports a host process listens on, and -P adds EXPOSE ports.
func TestResolvePorts(t *testing.T) {
	portClaimDir = t.TempDir()
	e := &Engine{runroot: t.TempDir()}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := uint16(l.Addr().(*net.TCPAddr).Port)
	lo := netip.MustParseAddr("127.0.0.1")
	other := &endpointState{ID: "other", Ports: []portBinding{{Proto: "tcp", HostPort: busy + 1, ContainerPort: 80}}}
	eps := []*endpointState{other}

	got, err := e.resolvePorts([]portRequest{{proto: "tcp", hostIP: lo, lo: busy, hi: busy + 2, containerPort: 80}}, eps, "me")
	if err != nil || len(got) != 1 || got[0].HostPort != busy+2 {
		t.Errorf("range: %+v %v (busy %d)", got, err, busy)
	}
	if _, err := e.resolvePorts([]portRequest{{proto: "tcp", lo: busy + 1, hi: busy + 1, containerPort: 80}}, eps, "me"); err == nil || !strings.Contains(err.Error(), "port is already allocated") {
		t.Errorf("taken fixed port: %v", err)
	}
	// Another endpoint on 127.0.0.1 only does not block another address.
	other.Ports[0].HostIP = lo
	if got, err := e.resolvePorts([]portRequest{{proto: "udp", lo: busy + 1, hi: busy + 1, containerPort: 53}}, eps, "me"); err != nil || got[0].HostPort != busy+1 {
		t.Errorf("udp beside tcp: %+v %v", got, err)
	}
	two, err := e.resolvePorts([]portRequest{{proto: "tcp", containerPort: 80}, {proto: "tcp", containerPort: 81}}, eps, "me")
	if err != nil || len(two) != 2 || two[0].HostPort == two[1].HostPort || two[0].HostPort == 0 {
		t.Errorf("ephemeral: %+v %v", two, err)
	}

	cfg := &ctypes.Config{ExposedPorts: mnet.PortSet{mnet.MustParsePort("80/tcp"): {}, mnet.MustParsePort("53/udp"): {}}}
	hc := &ctypes.HostConfig{PublishAllPorts: true, PortBindings: mnet.PortMap{mnet.MustParsePort("80/tcp"): {{HostPort: "8080"}}}}
	reqs, err := portRequests(cfg, hc)
	if err != nil || len(reqs) != 2 || reqs[0].containerPort != 53 || reqs[1].lo != 8080 {
		t.Errorf("-P requests: %+v %v", reqs, err)
	}
}

func TestPortMapAndNftPorts(t *testing.T) {
	bs := []portBinding{{Proto: "tcp", HostPort: 8080, ContainerPort: 80}, {Proto: "udp", HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 5353, ContainerPort: 53}}
	pm := portMap(bs)
	b := pm[mnet.MustParsePort("80/tcp")]
	if len(b) != 1 || b[0].HostIP.String() != "0.0.0.0" || b[0].HostPort != "8080" {
		t.Errorf("portMap: %+v", pm)
	}
	ep := &endpointState{Ports: bs, Networks: []endpointNet{{
		IPv4: netip.MustParsePrefix("10.89.0.2/24"), IPv6: netip.MustParsePrefix("fd00::2/64"),
	}}}
	ports := nftPorts(ep)
	// 8080: v4 and v6; 5353 on 127.0.0.1: v4 only.
	if len(ports) != 3 {
		t.Fatalf("nftPorts: %+v", ports)
	}
	for _, p := range ports {
		if p.HostPort == 5353 && p.ContainerIP.Is6() {
			t.Errorf("v4-only binding got a v6 rule: %+v", p)
		}
	}
}

func TestResolvConf(t *testing.T) {
	gw := netip.MustParseAddr("10.89.1.1")
	user := resolvConf(&ctypes.HostConfig{DNSSearch: []string{"example.com"}, DNSOptions: []string{"ndots:2"}}, true, gw)
	if !strings.Contains(user, "nameserver 10.89.1.1\n") || strings.Count(user, "nameserver") != 1 ||
		!strings.Contains(user, "search example.com\n") || !strings.Contains(user, "options ndots:2\n") {
		t.Errorf("user network:\n%s", user)
	}
	dns := resolvConf(&ctypes.HostConfig{DNS: []netip.Addr{netip.MustParseAddr("1.1.1.1")}}, true, gw)
	if !strings.HasPrefix(dns, "nameserver 10.89.1.1\nnameserver 1.1.1.1\n") || strings.Count(dns, "nameserver") != 2 {
		t.Errorf("--dns on a user network:\n%s", dns)
	}
	dns = resolvConf(&ctypes.HostConfig{DNS: []netip.Addr{netip.MustParseAddr("1.1.1.1")}}, false, gw)
	if dns != "nameserver 1.1.1.1\n" && !strings.HasPrefix(dns, "nameserver 1.1.1.1\nsearch") && !strings.HasPrefix(dns, "nameserver 1.1.1.1\noptions") {
		t.Errorf("--dns on the default bridge:\n%s", dns)
	}
	def := resolvConf(&ctypes.HostConfig{}, false, gw)
	if strings.Contains(def, "nameserver 127.") || strings.Contains(def, "nameserver ::1") || !strings.Contains(def, "nameserver ") {
		t.Errorf("default bridge:\n%s", def)
	}
	if got := usableNameservers([]string{"127.0.0.53", "::1"}); len(got) != 2 || got[0] != "8.8.8.8" {
		t.Errorf("fallback: %v", got)
	}
	if got := usableNameservers([]string{"127.0.0.1", "192.0.2.1"}); len(got) != 1 || got[0] != "192.0.2.1" {
		t.Errorf("filter: %v", got)
	}
}

func TestExtraHosts(t *testing.T) {
	var b strings.Builder
	gw := netip.MustParseAddr("10.89.0.1")
	if err := writeExtraHosts(&b, []string{"db:192.0.2.5", "gw:host-gateway", "v6:::1", "eq=192.0.2.6"}, gw); err != nil {
		t.Fatal(err)
	}
	want := "192.0.2.5\tdb\n10.89.0.1\tgw\n::1\tv6\n192.0.2.6\teq\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	if err := writeExtraHosts(&b, []string{"x:host-gateway"}, netip.Addr{}); err == nil {
		t.Errorf("host-gateway without a gateway accepted")
	}
}

func TestVethName(t *testing.T) {
	a, b := vethName("c1", "n1"), vethName("c1", "n2")
	if len(a) != 11 || !strings.HasPrefix(a, "veth") || a == b || a != vethName("c1", "n1") {
		t.Errorf("veth names %q %q", a, b)
	}
}
