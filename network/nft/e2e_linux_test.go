package nft

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// topo is the end-to-end topology, every piece in a namespace of its own:
//
//	other (192.0.2.2, 2001:db8::2) ── vo0 ─┐
//	                                        host: ogtbr0 10.99.0.1 fd00:99::1 ── ctr (10.99.0.2, fd00:99::2)
//	                                              ogtbr1 10.99.1.1 (internal) ── int (10.99.1.2)
//	                                              ogtbr2 10.99.2.1 ── ctr2 (10.99.2.2)
//
// "host" plays the machine onggi runs on; "other" another host on its LAN.
type topo struct{ host, ctr, ctr2, other, internal string }

func newTopo(t *testing.T) topo {
	tp := topo{host: namedNS(t, "host"), ctr: namedNS(t, "ctr"), ctr2: namedNS(t, "ctr2"),
		other: namedNS(t, "oth"), internal: namedNS(t, "int")}
	h := func(args ...string) { sh(t, append([]string{"ip", "-n", tp.host}, args...)...) }
	in := func(ns string, args ...string) { sh(t, append([]string{"ip", "-n", ns}, args...)...) }
	for _, br := range []struct{ name, addr string }{{"ogtbr0", "10.99.0.1/24"}, {"ogtbr1", "10.99.1.1/24"}, {"ogtbr2", "10.99.2.1/24"}} {
		h("link", "add", br.name, "type", "bridge")
		h("addr", "add", br.addr, "dev", br.name)
		h("link", "set", br.name, "up")
	}
	h("addr", "add", "fd00:99::1/64", "dev", "ogtbr0", "nodad")
	for _, c := range []struct{ ns, veth, br, addr, gw string }{
		{tp.ctr, "vc0", "ogtbr0", "10.99.0.2/24", "10.99.0.1"},
		{tp.internal, "vi0", "ogtbr1", "10.99.1.2/24", "10.99.1.1"},
		{tp.ctr2, "vc2", "ogtbr2", "10.99.2.2/24", "10.99.2.1"},
	} {
		h("link", "add", c.veth, "type", "veth", "peer", "name", "eth0", "netns", c.ns)
		h("link", "set", c.veth, "master", c.br, "up")
		// What network/link must do too: with br_netfilter loaded, a
		// container's connection to its own published port is DNAT'd in
		// the bridge path and bridged back out the port it came in by.
		h("link", "set", c.veth, "type", "bridge_slave", "hairpin", "on")
		in(c.ns, "addr", "add", c.addr, "dev", "eth0")
		in(c.ns, "link", "set", "eth0", "up")
		in(c.ns, "route", "add", "default", "via", c.gw)
	}
	in(tp.ctr, "addr", "add", "fd00:99::2/64", "dev", "eth0", "nodad")
	in(tp.ctr, "-6", "route", "add", "default", "via", "fd00:99::1")

	h("link", "add", "vo0", "type", "veth", "peer", "name", "eth0", "netns", tp.other)
	h("addr", "add", "192.0.2.1/24", "dev", "vo0")
	h("addr", "add", "2001:db8::1/64", "dev", "vo0", "nodad")
	h("link", "set", "vo0", "up")
	in(tp.other, "addr", "add", "192.0.2.2/24", "dev", "eth0")
	in(tp.other, "addr", "add", "2001:db8::2/64", "dev", "eth0", "nodad")
	in(tp.other, "link", "set", "eth0", "up")
	// A neighbour that routes the container subnets via the host: the
	// "direct" path published-port isolation must hold against.
	in(tp.other, "route", "add", "10.99.0.0/16", "via", "192.0.2.1")
	in(tp.other, "-6", "route", "add", "fd00:99::/64", "via", "2001:db8::1")

	// The CVE-2020-8558 neighbour: it routes 127.0.0.2 to the host, hoping
	// a DNAT rule matches a loopback destination before the host's routing
	// would drop it as a martian.
	in(tp.other, "route", "del", "local", "127.0.0.0/8", "dev", "lo", "table", "local")
	in(tp.other, "route", "add", "127.0.0.2/32", "via", "192.0.2.1")
	sysctl(t, tp.other, "net.ipv4.conf.eth0.route_localnet", "1")

	sysctl(t, tp.host, "net.ipv4.ip_forward", "1")
	sysctl(t, tp.host, "net.ipv6.conf.all.forwarding", "1")
	// What network/link sets on every bridge: lets DNAT'd 127.0.0.1
	// traffic leave through it.
	sysctl(t, tp.host, "net.ipv4.conf.ogtbr0.route_localnet", "1")
	return tp
}

// serveTCP listens in ns and answers each connection with
// "<local> <remote>", so a client learns who it reached and as whom.
func serveTCP(t *testing.T, ns, addr string) {
	t.Helper()
	var l net.Listener
	err := inNS(nsPath(ns), func() (err error) { l, err = net.Listen("tcp", addr); return err })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "%s %s", c.LocalAddr(), c.RemoteAddr())
			c.Close()
		}
	}()
}

// serveUDP echoes datagrams in ns, prefixed like serveTCP's answer.
func serveUDP(t *testing.T, ns, addr string) {
	t.Helper()
	var pc net.PacketConn
	err := inNS(nsPath(ns), func() (err error) { pc, err = net.ListenPacket("udp", addr); return err })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(fmt.Sprintf("%s %s %s", pc.LocalAddr(), from, buf[:n])), from)
		}
	}()
}

// blockedWait bounds how long a dropped connection attempt is given: a
// drop never answers, so only a timeout can tell it apart.
const blockedWait = 1500 * time.Millisecond

// dialFrom connects from ns and returns the server's answer.
func dialFrom(ns, network, addr string) (string, error) {
	var answer string
	err := inNS(nsPath(ns), func() error {
		c, err := net.DialTimeout(network, addr, blockedWait)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(blockedWait))
		if network == "udp" {
			// One datagram out, one back.
			if _, err := c.Write([]byte("ping")); err != nil {
				return err
			}
			b := make([]byte, 256)
			n, err := c.Read(b)
			answer = string(b[:n])
			return err
		}
		b, err := io.ReadAll(io.LimitReader(c, 256))
		answer = string(b)
		return err
	})
	return answer, err
}

func TestEndToEnd(t *testing.T) {
	needRoot(t)
	tp := newTopo(t)
	serveTCP(t, tp.ctr, ":80")
	serveTCP(t, tp.ctr, ":81")
	serveUDP(t, tp.ctr, ":53")
	serveTCP(t, tp.ctr2, ":80")
	serveTCP(t, tp.other, ":9000")

	rs := Ruleset{Table: testTable,
		Networks: []Net{
			{Bridge: "ogtbr0", Subnets: []netip.Prefix{netip.MustParsePrefix("10.99.0.0/24"), netip.MustParsePrefix("fd00:99::/64")}},
			{Bridge: "ogtbr1", Subnets: []netip.Prefix{netip.MustParsePrefix("10.99.1.0/24")}, Internal: true},
			{Bridge: "ogtbr2", Subnets: []netip.Prefix{netip.MustParsePrefix("10.99.2.0/24")}},
		},
		Ports: []Port{
			{Proto: "tcp", HostPort: 8080, ContainerIP: netip.MustParseAddr("10.99.0.2"), ContainerPort: 80},
			{Proto: "udp", HostPort: 8053, ContainerIP: netip.MustParseAddr("10.99.0.2"), ContainerPort: 53},
			{Proto: "tcp", HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 8081, ContainerIP: netip.MustParseAddr("10.99.0.2"), ContainerPort: 81},
			{Proto: "tcp", HostPort: 8080, ContainerIP: netip.MustParseAddr("fd00:99::2"), ContainerPort: 80},
		},
	}
	hostNS, err := os.Open(nsPath(tp.host))
	if err != nil {
		t.Fatal(err)
	}
	defer hostNS.Close()
	if err := applyWith(rs, nsOpt(hostNS)); err != nil {
		t.Fatal(err)
	}
	nftList(t, tp.host, testTable)

	// A group so the parallel cases finish before the table changes below.
	t.Run("reach", func(t *testing.T) { checkReach(t, tp) })

	// Unpublishing is one Apply away.
	rs.Ports = nil
	if err := applyWith(rs, nsOpt(hostNS)); err != nil {
		t.Fatal(err)
	}
	if got, err := dialFrom(tp.other, "tcp", "192.0.2.1:8080"); err == nil {
		t.Errorf("after unpublishing, other host still reaches %q", got)
	}
}

// checkReach tries every path through the host; the blocked ones each
// wait out blockedWait, so they run in parallel.
func checkReach(t *testing.T, tp topo) {
	for _, c := range []struct {
		name, from, network, addr string
		want                      string // substring of the answer; "" = must fail
	}{
		{"published from other host, source kept", tp.other, "tcp", "192.0.2.1:8080", "10.99.0.2:80 192.0.2.2:"},
		{"published udp from other host", tp.other, "udp", "192.0.2.1:8053", " 192.0.2.2:"},
		{"published v6 from other host", tp.other, "tcp", "[2001:db8::1]:8080", "[fd00:99::2]:80 [2001:db8::2]:"},
		{"published from host loopback", tp.host, "tcp", "127.0.0.1:8080", "10.99.0.2:80 10.99.0.1:"},
		{"published from host address", tp.host, "tcp", "192.0.2.1:8080", "10.99.0.2:80 "},
		{"published v6 from host address", tp.host, "tcp", "[2001:db8::1]:8080", "[fd00:99::2]:80 [2001:db8::1]:"},
		{"no v6 DNAT from ::1 (refused, not hung)", tp.host, "tcp", "[::1]:8080", ""},
		{"127.0.0.1 binding from host loopback", tp.host, "tcp", "127.0.0.1:8081", "10.99.0.2:81 10.99.0.1:"},
		{"hairpin to own published port", tp.ctr, "tcp", "10.99.0.1:8080", "10.99.0.2:80 10.99.0.1:"},
		{"container out to the world, masqueraded", tp.ctr, "tcp", "192.0.2.2:9000", "192.0.2.2:9000 192.0.2.1:"},
		{"unpublished port direct from other host", tp.other, "tcp", "10.99.0.2:80", ""},
		{"unpublished v6 port direct from other host", tp.other, "tcp", "[fd00:99::2]:80", ""},
		{"127.0.0.1 binding from other host", tp.other, "tcp", "192.0.2.1:8081", ""},
		{"loopback destination from other host (CVE-2020-8558)", tp.other, "tcp", "127.0.0.2:8080", ""},
		{"another network to a container", tp.ctr2, "tcp", "10.99.0.2:80", ""},
		{"a container to another network", tp.ctr, "tcp", "10.99.2.2:80", ""},
		{"another network to a published port", tp.ctr2, "tcp", "10.99.2.1:8080", "10.99.0.2:80 10.99.2.2:"},
		{"internal network out to the world", tp.internal, "tcp", "192.0.2.2:9000", ""},
		{"internal network to another network", tp.internal, "tcp", "10.99.0.2:80", ""},
		{"internal network to a published port", tp.internal, "tcp", "10.99.1.1:8080", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := dialFrom(c.from, c.network, c.addr)
			switch {
			case c.want == "" && err == nil:
				t.Errorf("%s → %s answered %q, want it blocked", c.from, c.addr, got)
			case c.want != "" && err != nil:
				t.Errorf("%s → %s: %v", c.from, c.addr, err)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("%s → %s answered %q, want %q", c.from, c.addr, got, c.want)
			}
		})
	}
}
