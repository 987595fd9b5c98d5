package integration

import (
	"strings"
	"testing"
)

// TestNetworkIsolation: containers on two user networks cannot reach each
// other; each reaches its own network's containers.
func TestNetworkIsolation(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	c.createNetwork("iso-a")
	c.createNetwork("iso-b")
	srvA := c.serve("a", []string{"--network", "iso-a"}, "8080")
	srvB := c.serve("b", []string{"--network", "iso-b"}, "8080")
	cliA := c.sleeper("--network", "iso-a")
	aIP, bIP := c.ip(srvA, "iso-a").String(), c.ip(srvB, "iso-b").String()
	expectDial(t, "a -> a", "a", func() result { return c.probe(cliA, "dial", "tcp", aIP+":8080") })
	expectDial(t, "host -> b (the server is up)", "b", func() result { return hostProbe(t, "dial", "tcp", bIP+":8080") })
	br := c.serve("br", nil, "8080")
	brIP := c.ip(br, "bridge").String()
	expectDial(t, "host -> default bridge (the server is up)", "br", func() result { return hostProbe(t, "dial", "tcp", brIP+":8080") })
	expectNoDials(t, map[string]func() result{
		"a -> b over tcp": func() result { return c.probe(cliA, "dial", "tcp", bIP+":8080") },
		"a -> b over udp": func() result { return c.probe(cliA, "dial", "udp", bIP+":8080") },
		"b -> a over tcp": func() result { return c.probe(srvB, "dial", "tcp", aIP+":8080") },
		// The default bridge is another network too.
		"default bridge -> a": func() result { return c.probe(br, "dial", "tcp", aIP+":8080") },
		"a -> default bridge": func() result { return c.probe(cliA, "dial", "tcp", brIP+":8080") },
	})
}

// TestNetworkInternal: a container on an --internal network talks to its
// network but has no route out (it cannot reach the other host), while one
// on the default bridge can.
func TestNetworkInternal(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	other := newOtherHost(t)
	other.serve("other", "9000")
	target := netipJoin(other.addr, "9000")
	c.createNetwork("inner", "--internal")
	c.serve("in", []string{"--network", "inner", "--name", "in-srv"}, "8080")
	in := c.sleeper("--network", "inner")
	out := c.sleeper()
	expectDial(t, "default bridge -> other host", "other", func() result { return c.probe(out, "dial", "tcp", target) })
	expectDial(t, "internal -> internal by name", "in", func() result { return c.probe(in, "dial", "tcp", "in-srv:8080") })
	expectNoDials(t, map[string]func() result{
		"internal -> other host":          func() result { return c.probe(in, "dial", "tcp", target) },
		"internal -> other host over udp": func() result { return c.probe(in, "dial", "udp", target) },
	})
	if r := c.exec(in, "ip", "route"); strings.Contains(r.stdout, "default") {
		t.Errorf("internal network container has a default route:\n%s", r.stdout)
	}
}

// TestNetworkRouter: a client on network A reaches a server on network B
// through a router container on both networks with NET_ADMIN and
// ip_forward, once the routes are set by exec.
func TestNetworkRouter(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	c.createNetwork("rt-a")
	c.createNetwork("rt-b")
	subA, subB := c.subnet("rt-a"), c.subnet("rt-b")
	router := c.sleeper("--network", "rt-a", "--name", "router", "--cap-add", "NET_ADMIN", "--sysctl", "net.ipv4.ip_forward=1")
	c.ok("network", "connect", "rt-b", router)
	client := c.sleeper("--network", "rt-a", "--cap-add", "NET_ADMIN")
	server := c.serve("behind", []string{"--network", "rt-b", "--cap-add", "NET_ADMIN"}, "8080")
	rA, rB := c.ip(router, "rt-a").String(), c.ip(router, "rt-b").String()
	srvIP := c.ip(server, "rt-b").String()
	if out := c.exec(router, "cat", "/proc/sys/net/ipv4/ip_forward").stdout; strings.TrimSpace(out) != "1" {
		t.Fatalf("router ip_forward = %q", out)
	}
	expectNoDial(t, "client -> server without routes", func() result { return c.probe(client, "dial", "tcp", srvIP+":8080") })
	c.ok("exec", client, "ip", "route", "add", subB.String(), "via", rA)
	c.ok("exec", server, "ip", "route", "add", subA.String(), "via", rB)
	expectDial(t, "client -> server through the router", "behind", func() result {
		return c.probe(client, "dial", "tcp", srvIP+":8080")
	})
	expectDial(t, "client -> server through the router over udp", "behind", func() result {
		return c.probe(client, "dial", "udp", srvIP+":8080")
	})
}

// TestNetworkLeavesNothing: after a busy run (user networks with names,
// published ports, a connected container) removing every container and
// network through the CLI leaves no interface, nft table or DNS process.
func TestNetworkLeavesNothing(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	c.createNetwork("gone-a")
	c.createNetwork("gone-b", "--internal")
	x := c.serve("xx", []string{"--network", "gone-a", "--name", "xx", "-p", "7201", "-p", "7201/udp"}, "7201")
	y := c.sleeper("--network", "gone-b", "--name", "yy")
	c.ok("network", "connect", "gone-a", y)
	xIP := c.ip(x, "gone-a").String()
	expectDial(t, "yy -> xx over gone-a", "xx", func() result { return c.probe(y, "dial", "tcp", xIP+":7201") })
	c.ok("run", "--rm", "--network", "gone-a", "-p", "7202", "busybox", "true")
	if dns := dnsPids(c.runroot); len(dns) == 0 {
		t.Errorf("no onggi-dns process while names are served")
	}
	c.noteState()
	c.ok("rm", "-f", "xx", y)
	c.ok("network", "rm", "gone-a", "gone-b")
	c.assertNoLeftovers(true)
}
