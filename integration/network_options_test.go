package integration

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestNetworkContainerOptions: --ip, --ip6, --mac-address, --hostname,
// --add-host (host-gateway too), --dns, --dns-search and --dns-option land
// in the container's interface and /etc files; names still resolve on a
// user network when --dns names upstream servers; busybox's own httpd and
// wget talk by name (busybox wget -T segfaults in the static Debian build,
// so coreutils-style timeout bounds it instead).
func TestNetworkContainerOptions(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	c.createNetwork("opts", "--ipv6")
	sub4 := c.subnet("opts")
	var sub6 netip.Prefix
	for _, f := range strings.Fields(c.ok("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", "opts")) {
		if p, err := netip.ParsePrefix(f); err == nil && p.Addr().Is6() {
			sub6 = p
		}
	}
	if !sub6.IsValid() {
		t.Fatalf("network create --ipv6 gave no IPv6 subnet")
	}
	ip4 := sub4.Addr().As4()
	ip4[3] = 50
	want4 := netip.AddrFrom4(ip4)
	want6 := sub6.Addr().As16()
	want6[15] = 0x50
	gw := strings.TrimSpace(c.ok("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", "opts"))

	c.runD("--network", "opts", "--name", "www-srv", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
	out := c.ok("run", "--rm", "--network", "opts", "--ip", want4.String(), "--ip6", netip.AddrFrom16(want6).String(),
		"--mac-address", "92:d0:c6:0a:29:33", "-h", "optbox", "--add-host", "db:192.0.2.77",
		"--add-host", "gw=host-gateway", "--dns", "192.0.2.53", "--dns-search", "example.com", "--dns-option", "ndots:3",
		"busybox", "sh", "-c", "ip -o addr show eth0; ip link show eth0; echo ==; cat /etc/hosts; echo ==; cat /etc/resolv.conf; echo ==; cat /etc/hostname")
	parts := strings.Split(out, "==\n")
	if len(parts) != 4 {
		t.Fatalf("output:\n%s", out)
	}
	iface, hosts, resolv, hostname := parts[0], parts[1], parts[2], parts[3]
	for _, want := range []string{want4.String() + "/", netip.AddrFrom16(want6).String() + "/", "92:d0:c6:0a:29:33"} {
		if !strings.Contains(iface, want) {
			t.Errorf("eth0 lacks %s:\n%s", want, iface)
		}
	}
	for _, want := range []string{"192.0.2.77\tdb", gw + "\tgw", want4.String() + "\toptbox"} {
		if !strings.Contains(hosts, want) {
			t.Errorf("/etc/hosts lacks %q:\n%s", want, hosts)
		}
	}
	for _, want := range []string{"search example.com", "options ndots:3"} {
		if !strings.Contains(resolv, want) {
			t.Errorf("/etc/resolv.conf lacks %q:\n%s", want, resolv)
		}
	}
	if strings.TrimSpace(hostname) != "optbox" {
		t.Errorf("/etc/hostname %q", hostname)
	}
	if r := c.run("run", "--rm", "--network", "opts", "--ip", "10.255.255.254", "busybox", "true"); r.code == 0 {
		t.Errorf("--ip outside the subnet accepted")
	}
	if r := c.run("run", "--rm", "--ip", "10.255.255.254", "busybox", "true"); r.code == 0 {
		t.Errorf("--ip on the default bridge accepted (docker: user-defined networks only)")
	}

	// Container names resolve even with --dns (docker keeps its own
	// resolver first and forwards to the given servers); wget reaches
	// busybox httpd by name.
	client := c.sleeper("--network", "opts")
	dnsClient := c.sleeper("--network", "opts", "--dns", "192.0.2.53")
	wget := func(ref string) func() (bool, string) {
		return func() (bool, string) {
			r := c.exec(ref, "timeout", "5", "wget", "-q", "-O", "-", "http://www-srv/hostname")
			return r.code == 0 && strings.TrimSpace(r.stdout) != "", r.String()
		}
	}
	pollUntil(t, 10*time.Second, "wget http://www-srv/hostname", wget(client))
	if ok, last := wget(dnsClient)(); !ok {
		t.Errorf("with --dns, a container name does not resolve on a user network:\n%s", last)
	}

	// The default bridge: --dns replaces the host's resolvers.
	out = c.ok("run", "--rm", "--dns", "192.0.2.53", "busybox", "cat", "/etc/resolv.conf")
	if !strings.Contains(out, "nameserver 192.0.2.53") {
		t.Errorf("default bridge --dns: %q", out)
	}
}

// TestNetworkModes: --network none has only loopback, host shares the
// host's stack, container:<name> shares another container's.
func TestNetworkModes(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	if out := c.ok("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"); strings.Fields(out)[0] != "lo" || len(strings.Fields(out)) != 1 {
		t.Errorf("--network none interfaces: %q", out)
	}
	port := freePort(t, "tcp")
	c.serve("hostnet", []string{"--network", "host"}, port)
	expectDial(t, "host -> --network host server on 127.0.0.1", "hostnet", func() result {
		return hostProbe(t, "dial", "tcp", "127.0.0.1:"+port)
	})
	srv := c.serve("shared", []string{"--name", "shared"}, "8080")
	ip := c.ip(srv, "bridge").String()
	out := c.ok("run", "--rm", "-v", probeDir(t)+":/probe-bin:ro", "--network", "container:shared", "busybox", "sh", "-c",
		"ip -o addr show eth0; /probe-bin/probe dial tcp 127.0.0.1:8080")
	if !strings.Contains(out, ip+"/") || !strings.HasSuffix(out, "shared\n") {
		t.Errorf("--network container:shared: %q (want %s and the server's answer on its loopback)", out, ip)
	}
}
