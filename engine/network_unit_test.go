package engine

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/network"
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
	useClaimDir(t)
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
	pm := portMap(bs, false)
	b := pm[mnet.MustParsePort("80/tcp")]
	if len(b) != 1 || b[0].HostIP.String() != "0.0.0.0" || b[0].HostPort != "8080" {
		t.Errorf("portMap: %+v", pm)
	}
	if b6 := portMap(bs, true)[mnet.MustParsePort("80/tcp")]; len(b6) != 2 || b6[1].HostIP.String() != "::" {
		t.Errorf("portMap v6: %+v", b6)
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
	for _, bad := range []string{"a:notanip", "a b:1.2.3.4", "evil\n1.2.3.4 x:1.2.3.4", "noip"} {
		if _, err := writeExtraHostsTo([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := validateDNSOptions(&ctypes.HostConfig{DNSSearch: []string{"a.com\nnameserver 6.6.6.6"}}); err == nil {
		t.Errorf("newline in --dns-search accepted")
	}
}

func TestVethName(t *testing.T) {
	a, b := vethName("c1", "n1"), vethName("c1", "n2")
	if len(a) != 11 || !strings.HasPrefix(a, "veth") || a == b || a != vethName("c1", "n1") {
		t.Errorf("veth names %q %q", a, b)
	}
}

func useClaimDir(t *testing.T) {
	old := portClaimDir
	portClaimDir = t.TempDir()
	t.Cleanup(func() { portClaimDir = old })
}

// TestPortClaims: an instance cannot pick a port another instance
// publishes; a claim whose instance publishes it no more is taken over.
func TestPortClaims(t *testing.T) {
	useClaimDir(t)
	a, b := &Engine{runroot: t.TempDir()}, &Engine{runroot: t.TempDir()}
	if !a.claimPort("tcp", 40001) || !a.claimPort("tcp", 40001) {
		t.Fatal("own claim refused")
	}
	st := &endpointState{ID: "x", Ports: []portBinding{{Proto: "tcp", HostPort: 40001}}}
	if err := a.writeEndpoint(st); err != nil {
		t.Fatal(err)
	}
	if b.claimPort("tcp", 40001) {
		t.Errorf("b claimed a's published port")
	}
	if !b.claimPort("udp", 40001) {
		t.Errorf("udp refused for a tcp claim")
	}
	a.releasePortClaims(st.Ports, []*endpointState{st}) // still published: kept
	if b.claimPort("tcp", 40001) {
		t.Errorf("claim released while published")
	}
	st.Ports = nil
	if err := a.writeEndpoint(st); err != nil {
		t.Fatal(err)
	}
	if !b.claimPort("tcp", 40001) {
		t.Errorf("stale claim not taken over")
	}
}

// TestSubnetClaims: a subnet claimed by a live instance is refused to
// another and avoided by pickSubnet's list; a claim whose instance has no
// such network any more is taken over.
func TestSubnetClaims(t *testing.T) {
	old := subnetClaimDir
	subnetClaimDir = t.TempDir()
	t.Cleanup(func() { subnetClaimDir = old })
	a, b := &Engine{root: t.TempDir()}, &Engine{root: t.TempDir()}
	store, err := network.Open(filepath.Join(a.root, "networks"))
	if err != nil {
		t.Fatal(err)
	}
	p := netip.MustParsePrefix("10.77.1.0/24")
	n := &network.Network{Name: "x", Driver: network.DriverBridge, Subnets: []network.Subnet{{Prefix: p}}}
	if err := store.Create(n); err != nil {
		t.Fatal(err)
	}
	if err := a.claimSubnets(n); err != nil || a.claimSubnets(n) != nil {
		t.Fatalf("own claim: %v", err)
	}
	if err := b.claimSubnet(p); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("b claimed a's subnet: %v", err)
	}
	if got := b.claimedSubnets(); len(got) != 1 || got[0] != p {
		t.Errorf("claimed: %v", got)
	}
	if err := store.Remove(n.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.claimSubnet(p); err != nil {
		t.Errorf("stale claim not taken over: %v", err)
	}
	b.releaseSubnets(n)
	if got := b.claimedSubnets(); len(got) != 0 {
		t.Errorf("after release: %v", got)
	}

	// A claim of an instance whose root is gone is dropped when listed.
	gone := &Engine{root: filepath.Join(t.TempDir(), "gone")}
	if err := os.MkdirAll(filepath.Join(gone.root, "networks"), 0o755); err != nil {
		t.Fatal(err)
	}
	q := netip.MustParsePrefix("10.77.2.0/24")
	if err := gone.claimSubnet(q); err != nil {
		t.Fatal(err)
	}
	if got := b.claimedSubnets(); len(got) != 1 || got[0] != q {
		t.Errorf("live claim: %v", got)
	}
	os.RemoveAll(gone.root)
	if got := b.claimedSubnets(); len(got) != 0 {
		t.Errorf("claim of a deleted root still avoided: %v", got)
	}
	if _, err := os.Stat(subnetClaimPath(q)); err == nil {
		t.Error("claim of a deleted root not removed")
	}
}

// TestAwaitTeardownConflict: an endpoint file written by another live
// process is a start in progress; one of a dead process is a leftover.
func TestAwaitTeardownConflict(t *testing.T) {
	e := &Engine{runroot: t.TempDir(), root: t.TempDir()}
	other := exec.Command("sleep", "30")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	at, err := procStartTime(other.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	c := &container.Container{ID: "c1", Name: "c1"}
	st := &endpointState{ID: c.ID, NetNS: e.netnsPath(c.ID), StarterPid: other.Process.Pid, StarterStart: at}
	if err := e.writeEndpoint(st); err != nil {
		t.Fatal(err)
	}
	if err := e.awaitTeardown(c); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("start in progress: %v", err)
	}
	st.StarterStart++ // a reused pid: not the starter
	if err := e.writeEndpoint(st); err != nil {
		t.Fatal(err)
	}
	if err := e.awaitTeardown(c); err != nil {
		t.Errorf("leftover: %v", err)
	}
	if _, err := os.Lstat(e.endpointPath(c.ID)); err == nil {
		t.Errorf("leftover endpoint file kept")
	}
}
