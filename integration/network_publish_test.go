package integration

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestNetworkPublish: published TCP and UDP ports answer from another host
// and from the host's loopback; a port bound to 127.0.0.1 answers only on
// the host; a port not published cannot be reached from the other host
// even though it routes the container subnet through this host.
func TestNetworkPublish(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	other := newOtherHost(t)
	// Explicit free host ports: ephemeral picks are TestNetworkPublishAll's
	// and TestNetworkPortsAcrossRoots' subject.
	tcp, udp, local := freePort(t, "tcp"), freePort(t, "udp"), freePort(t, "tcp")
	srv := c.serve("pub", []string{"--name", "pub", "-p", tcp + ":7001", "-p", udp + ":7001/udp", "-p", "127.0.0.1:" + local + ":7002"},
		"7001", "7002", "7003")
	if got := c.hostPort(srv, "7001/tcp", "0.0.0.0"); got != tcp {
		t.Errorf("port 7001/tcp: host port %s, want %s", got, tcp)
	}
	if got := c.hostPort(srv, "7002/tcp", "127.0.0.1"); got != local {
		t.Errorf("port 7002/tcp: host port %s, want %s", got, local)
	}
	ctrIP := c.ip(srv, "bridge")
	hostAddr := other.hostAddr

	// The server answers on its own address from the host (control).
	expectDial(t, "host -> container 7003 directly", "pub", func() result { return hostProbe(t, "dial", "tcp", netipJoin(ctrIP, "7003")) })

	expectDial(t, "other host -> published tcp", "pub", func() result { return other.probe("dial", "tcp", netipJoin(hostAddr, tcp)) })
	expectDial(t, "other host -> published udp", "pub", func() result { return other.probe("dial", "udp", netipJoin(hostAddr, udp)) })
	expectDial(t, "host loopback -> published tcp", "pub", func() result { return hostProbe(t, "dial", "tcp", "127.0.0.1:"+tcp) })
	expectDial(t, "host loopback -> published udp", "pub", func() result { return hostProbe(t, "dial", "udp", "127.0.0.1:"+udp) })
	expectDial(t, "host loopback -> 127.0.0.1-bound", "pub", func() result { return hostProbe(t, "dial", "tcp", "127.0.0.1:"+local) })
	expectDial(t, "host's own address -> published tcp", "pub", func() result { return hostProbe(t, "dial", "tcp", netipJoin(hostAddr, tcp)) })

	expectNoDials(t, map[string]func() result{
		"other host -> 127.0.0.1-bound port via the host's address": func() result {
			return other.probe("dial", "tcp", netipJoin(hostAddr, local))
		},
		"other host -> unpublished port on the container's address": func() result {
			return other.probe("dial", "tcp", netipJoin(ctrIP, "7003"))
		},
		"other host -> unpublished udp on the container's address": func() result {
			return other.probe("dial", "udp", netipJoin(ctrIP, "7003"))
		},
		"other host -> published port on the container's address (not DNAT'd)": func() result {
			return other.probe("dial", "tcp", netipJoin(ctrIP, "7002"))
		},
	})

	// Outbound: the container reaches the other host (masqueraded).
	other.serve("other", "9000")
	expectDial(t, "container -> other host", "other", func() result {
		return c.probe(srv, "dial", "tcp", netipJoin(other.addr, "9000"))
	})

	// ps shows the live bindings in docker's format.
	ps := strings.TrimSpace(c.ok("ps", "--filter", "name=pub", "--format", "{{.Ports}}"))
	for _, want := range []string{"0.0.0.0:" + tcp + "->7001/tcp", "0.0.0.0:" + udp + "->7001/udp", "127.0.0.1:" + local + "->7002/tcp"} {
		if !strings.Contains(ps, want) {
			t.Errorf("ps PORTS %q lacks %q", ps, want)
		}
	}
	// A stopped container publishes nothing.
	c.ok("stop", "-t", "1", srv)
	if out := c.ok("port", srv); out != "" {
		t.Errorf("port of a stopped container: %q", out)
	}
	expectNoDial(t, "other host -> port of a stopped container", func() result { return other.probe("dial", "tcp", netipJoin(hostAddr, tcp)) })
}

// TestNetworkPublishAll: -P publishes the image's and --expose's ports on
// free host ports that `onggi port` shows, and they answer.
func TestNetworkPublishAll(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	srv := c.serve("all", []string{"-P", "--expose", "7101", "--expose", "7102/udp"}, "7101", "7102")
	lines := imageLines(c.ok("port", srv))
	if len(lines) < 2 {
		t.Fatalf("port after -P: %q", lines)
	}
	tcp := c.hostPort(srv, "7101/tcp", "0.0.0.0")
	udp := c.hostPort(srv, "7102/udp", "0.0.0.0")
	if tcp == "0" || udp == "0" {
		t.Fatalf("-P left port 0: tcp %s udp %s", tcp, udp)
	}
	expectDial(t, "-P tcp", "all", func() result { return hostProbe(t, "dial", "tcp", "127.0.0.1:"+tcp) })
	expectDial(t, "-P udp", "all", func() result { return hostProbe(t, "dial", "udp", "127.0.0.1:"+udp) })
	if r := c.run("port", srv, "9999/tcp"); r.code == 0 || !strings.Contains(r.stderr, "No public port '9999/tcp' published") {
		t.Errorf("port of an unpublished port: %v", r)
	}
}

// TestNetworkParallelRuns: 30 parallel `run -d -p` get 30 distinct
// addresses and 30 distinct host ports.
func TestNetworkParallelRuns(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	const n = 30
	ids := make([]string, n)
	errs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spec := "80"
			if i%2 == 1 {
				spec = "0:80/tcp"
			}
			r := runCmd(t, c.command("run", "-d", "-p", spec, "busybox", "sleep", "600"))
			if r.code != 0 {
				errs[i] = r.String()
				return
			}
			ids[i] = strings.TrimSpace(r.stdout)
		}()
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("run %d: %s", i, e)
		}
	}
	if t.Failed() {
		return
	}
	out := c.ok(append([]string{"inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}} {{json .NetworkSettings.Ports}}"}, ids...)...)
	ips, ports := map[string]int{}, map[string]int{}
	for i, l := range imageLines(out) {
		ip, js, _ := strings.Cut(l, " ")
		var pm map[string][]struct{ HostIp, HostPort string }
		if err := json.Unmarshal([]byte(js), &pm); err != nil || len(pm["80/tcp"]) == 0 {
			t.Errorf("container %d ports %q: %v", i, js, err)
			continue
		}
		if ip == "" {
			t.Errorf("container %d has no address", i)
		}
		ips[ip]++
		seen := map[string]bool{}
		for _, b := range pm["80/tcp"] {
			if b.HostPort == "" || b.HostPort == "0" {
				t.Errorf("container %d: host port %q", i, b.HostPort)
			}
			seen[b.HostPort] = true // one port may show for 0.0.0.0 and ::
		}
		for p := range seen {
			ports[p]++
		}
	}
	for ip, k := range ips {
		if k > 1 {
			t.Errorf("address %s handed out %d times", ip, k)
		}
	}
	for p, k := range ports {
		if k > 1 {
			t.Errorf("host port %s handed out %d times", p, k)
		}
	}
	if len(ips) != n || len(ports) != n {
		t.Errorf("%d distinct addresses and %d distinct host ports for %d containers", len(ips), len(ports), n)
	}
}

// TestNetworkPortsAcrossRoots: host ports belong to the host, not to one
// onggi root. Two roots on one kernel (parallel tests, or a user's and a
// CI's) must not both DNAT the same port: ephemeral picks differ, a port
// another root publishes is refused, and so is one a host process holds
// (docker: "port is already allocated" / "address already in use").
func TestNetworkPortsAcrossRoots(t *testing.T) {
	t.Parallel()
	a, b := newNetCLI(t), newNetCLI(t)
	srvA := a.serve("a", []string{"-p", "7301"}, "7301")
	srvB := b.serve("b", []string{"-p", "7301"}, "7301")
	pa, pb := a.hostPort(srvA, "7301/tcp", "0.0.0.0"), b.hostPort(srvB, "7301/tcp", "0.0.0.0")
	if pa == pb {
		// Both tables DNAT it; which container answers is luck.
		t.Errorf("two roots got the same ephemeral host port %s", pa)
	} else {
		expectDial(t, "root a's port", "a", func() result { return hostProbe(t, "dial", "tcp", "127.0.0.1:"+pa) })
		expectDial(t, "root b's port", "b", func() result { return hostProbe(t, "dial", "tcp", "127.0.0.1:"+pb) })
	}
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if r := a.run("run", "-d", "-p", held+":7301", "busybox", "sleep", "600"); r.code == 0 {
		t.Errorf("published host port %s that a host process listens on: %v", held, r)
	}
	l.Close() // now free: root a takes it, root b must not
	a.sleeper("-p", held+":7301")
	if r := b.run("run", "-d", "-p", held+":7301", "busybox", "sleep", "600"); r.code == 0 {
		t.Errorf("root b published host port %s that root a already publishes: %v", held, r)
	}
}

// freePort is a port nothing on the host holds right now (the kernel's
// pick for a throwaway socket), for tests that publish explicit ports.
func freePort(t testing.TB, proto string) string {
	t.Helper()
	if proto == "udp" {
		pc, err := net.ListenPacket("udp", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	}
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// TestNetworkPublishIPv6: on an --ipv6 network a published port answers
// the other host over IPv6 too, and ps and port show the [::] binding as
// docker does ("0.0.0.0:P->80/tcp, [::]:P->80/tcp").
func TestNetworkPublishIPv6(t *testing.T) {
	t.Parallel()
	c := newNetCLI(t)
	other := newOtherHost(t)
	other.addIPv6()
	c.createNetwork("six", "--ipv6")
	port := freePort(t, "tcp")
	srv := c.serve("six", []string{"--network", "six", "--name", "six", "-p", port + ":7401"}, "7401")
	expectDial(t, "other host -> published port over IPv4", "six", func() result {
		return other.probe("dial", "tcp", netipJoin(other.hostAddr, port))
	})
	expectDial(t, "other host -> published port over IPv6", "six", func() result {
		return other.probe("dial", "tcp", netipJoin(other.hostAddr6, port))
	})
	ps := strings.TrimSpace(c.ok("ps", "--filter", "name=six", "--format", "{{.Ports}}"))
	if want := "0.0.0.0:" + port + "->7401/tcp, [::]:" + port + "->7401/tcp"; ps != want {
		t.Errorf("ps PORTS %q, want %q", ps, want)
	}
	if got := c.hostPort(srv, "7401/tcp", "::"); got != port {
		t.Errorf("port: [::] binding %q, want %s", got, port)
	}
}
