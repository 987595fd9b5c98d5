package integration

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNetworkNames: on a user network containers resolve each other by
// name and alias (round-robin over replicas sharing one) and talk; the
// default bridge has no names, only addresses.
func TestNetworkNames(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	c.createNetwork("names")
	c.serve("web", []string{"--network", "names", "--name", "web", "--network-alias", "www", "--network-alias", "svc"}, "8080")
	c.serve("web2", []string{"--network", "names", "--name", "web2", "--network-alias", "svc"}, "8080")
	client := c.sleeper("--network", "names", "--name", "client")
	webIP, web2IP := c.ip("web", "names").String(), c.ip("web2", "names").String()

	// The responder reloads its records when they change: poll the first
	// answers rather than race the reload.
	pollUntil(t, 10*time.Second, "svc to name both replicas", func() (bool, string) {
		r := c.probe(client, "resolve", "svc")
		got := strings.Fields(r.stdout)
		return r.code == 0 && len(got) == 2 && slices.Contains(got, webIP) && slices.Contains(got, web2IP), r.String()
	})
	for _, tc := range []struct{ name, want string }{{"web", webIP}, {"WWW", webIP}, {"web2", web2IP}} {
		r := c.probe(client, "resolve", tc.name)
		if r.code != 0 || strings.TrimSpace(r.stdout) != tc.want {
			t.Errorf("resolve %s: %v, want %s", tc.name, r, tc.want)
		}
	}
	if out := c.exec(client, "timeout", "5", "nslookup", "www").stdout; !strings.Contains(out, webIP) {
		t.Errorf("busybox nslookup www: %q", out)
	}
	gw := strings.TrimSpace(c.ok("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", "names"))
	if out := c.exec(client, "timeout", "5", "nslookup", "web2", gw).stdout; !strings.Contains(out, web2IP) {
		t.Errorf("busybox nslookup web2 %s: %q", gw, out)
	}
	expectDial(t, "client -> web:8080 by name", "web", func() result { return c.probe(client, "dial", "tcp", "web:8080") })
	expectDial(t, "client -> www:8080 over UDP", "web", func() result { return c.probe(client, "dial", "udp", "www:8080") })
	if r := c.probe(client, "resolve", "nosuchname"); r.code == 0 {
		t.Errorf("an unknown name resolved: %v", r)
	}

	// The default bridge: reachable by address, not by name.
	c.serve("b1", []string{"--name", "b1"}, "8080")
	b2 := c.sleeper("--name", "b2")
	b1IP := c.ip("b1", "bridge").String()
	expectDial(t, "b2 -> b1 by address on the default bridge", "b1", func() result {
		return c.probe(b2, "dial", "tcp", b1IP+":8080")
	})
	if r := c.probe(b2, "resolve", "b1"); r.code == 0 {
		t.Errorf("the default bridge resolved a container name: %v", r)
	}
}

// TestNetworkConnectDisconnect: connecting a running container adds an
// interface, its names resolve on the new network and it reaches the
// network's containers; disconnecting takes all that away again.
func TestNetworkConnectDisconnect(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	c.createNetwork("cd-a")
	c.createNetwork("cd-b")
	mover := c.serve("mover", []string{"--network", "cd-a", "--name", "mover"}, "8080")
	peer := c.serve("peer", []string{"--network", "cd-b", "--name", "peer"}, "8080")
	peerIP := c.ip(peer, "cd-b").String()
	if r := c.exec(mover, "ip", "link", "show", "eth1"); r.code == 0 {
		t.Fatalf("eth1 before connect: %v", r)
	}
	expectNoDial(t, "mover -> peer before connect", func() result { return c.probe(mover, "dial", "tcp", peerIP+":8080") })

	c.ok("network", "connect", "--alias", "moved", "cd-b", "mover")
	if r := c.run("network", "connect", "cd-b", "mover"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("second connect: %v", r)
	}
	moverB := c.ip(mover, "cd-b").String()
	pollUntil(t, 10*time.Second, "eth1 in mover with its cd-b address", func() (bool, string) {
		r := c.exec(mover, "ip", "-o", "addr", "show", "eth1")
		return r.code == 0 && strings.Contains(r.stdout, moverB+"/"), r.String()
	})
	expectDial(t, "mover -> peer after connect", "peer", func() result { return c.probe(mover, "dial", "tcp", peerIP+":8080") })
	// As docker's: a container on two networks resolves the names of both.
	expectDial(t, "mover -> peer by name after connect", "peer", func() result { return c.probe(mover, "dial", "tcp", "peer:8080") })
	for _, name := range []string{"mover", "moved"} {
		expectDial(t, "peer -> "+name+" by name", "mover", func() result { return c.probe(peer, "dial", "tcp", name+":8080") })
	}
	if got := strings.TrimSpace(c.ok("network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", "cd-b")); !slices.Contains(strings.Fields(got), "mover") {
		t.Errorf("cd-b Containers after connect: %q", got)
	}
	if got := c.ok("ps", "--filter", "network=cd-b", "--format", "{{.Names}} {{.Networks}}"); !strings.Contains(got, "mover cd-a,cd-b\n") {
		t.Errorf("ps --filter network=cd-b after connect: %q", got)
	}

	c.ok("network", "disconnect", "cd-b", "mover")
	pollUntil(t, 10*time.Second, "eth1 gone from mover", func() (bool, string) {
		r := c.exec(mover, "ip", "link", "show", "eth1")
		return r.code != 0, r.String()
	})
	pollUntil(t, 10*time.Second, "mover's names gone from cd-b", func() (bool, string) {
		r := c.probe(peer, "resolve", "moved")
		return r.code != 0, r.String()
	})
	if r := c.probe(peer, "resolve", "mover"); r.code == 0 {
		t.Errorf("mover still resolves on cd-b: %v", r)
	}
	expectNoDial(t, "mover -> peer after disconnect", func() result { return c.probe(mover, "dial", "tcp", peerIP+":8080") })
	if got := c.ok("ps", "--filter", "network=cd-b", "--format", "{{.Names}}"); got != "peer\n" {
		t.Errorf("ps --filter network=cd-b after disconnect: %q", got)
	}
	if r := c.run("network", "disconnect", "cd-b", "mover"); r.code != 1 || !strings.Contains(r.stderr, "not connected") {
		t.Errorf("second disconnect: %v", r)
	}
	c.ok("network", "disconnect", "-f", "cd-b", "mover")
	// A created container connected before its start gets both at start.
	c.ok("create", "--name", "later", "--network", "cd-a", "busybox", "sleep", "600")
	c.ok("network", "connect", "cd-b", "later")
	c.ok("start", "later")
	if r := c.exec("later", "ip", "-o", "addr", "show", "eth1"); r.code != 0 || !strings.Contains(r.stdout, c.ip("later", "cd-b").String()+"/") {
		t.Errorf("eth1 of a container connected while created: %v", r)
	}
	// The original network still works.
	expectDial(t, "mover on cd-a after the round trip", "mover", func() result {
		return hostProbe(t, "dial", "tcp", c.ip(mover, "cd-a").String()+":8080")
	})
}
