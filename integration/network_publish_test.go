package integration

import (
	"encoding/json"
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
	srv := c.serve("pub", []string{"--name", "pub", "-p", "7001", "-p", "7001/udp", "-p", "127.0.0.1::7002"}, "7001", "7002", "7003")
	tcp := c.hostPort(srv, "7001/tcp", "0.0.0.0")
	udp := c.hostPort(srv, "7001/udp", "0.0.0.0")
	local := c.hostPort(srv, "7002/tcp", "127.0.0.1")
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
