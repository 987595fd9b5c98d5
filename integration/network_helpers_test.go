package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// netCLI is a containerCLI whose cleanup also removes its networks and then
// checks that the instance left nothing in the kernel: no interface of its
// (og<tag>0, br-<id>, the veths of its containers), no nft table
// onggi-<tag>, no onggi-dns process for its runroot. Whatever is found is
// reported and then deleted, so a failing engine does not poison the
// machine for the next test.
type netCLI struct {
	*containerCLI
	tag string

	mu         sync.Mutex
	containers map[string]bool // every container id seen
	networks   map[string]bool // every network id seen
}

func newNetCLI(t *testing.T) *netCLI {
	t.Helper()
	requireRootIntegration(t)
	imageRequireTool(t, "nft")
	imageRequireTool(t, "ip")
	probeDir(t)
	c := &netCLI{containerCLI: newContainerCLI(t), containers: map[string]bool{}, networks: map[string]bool{}}
	sum := sha256.Sum256([]byte(filepath.Clean(c.root)))
	c.tag = hex.EncodeToString(sum[:])[:6]
	t.Cleanup(c.netCleanup) // runs before containerCLI's (LIFO)
	return c
}

// runD starts a detached container with the probe mounted at /probe-bin
// and remembers its id.
func (c *netCLI) runD(args ...string) string {
	c.t.Helper()
	full := append([]string{"run", "-d", "-v", probeDir(c.t) + ":/probe-bin:ro"}, args...)
	id := strings.TrimSpace(c.ok(full...))
	c.mu.Lock()
	c.containers[id] = true
	c.mu.Unlock()
	return id
}

// serve starts a container answering msg on TCP and UDP ports, and waits
// until the probe says it listens.
func (c *netCLI) serve(msg string, flags []string, ports ...string) string {
	c.t.Helper()
	args := append(append([]string{}, flags...), "busybox", "/probe-bin/probe", "serve", msg)
	id := c.runD(append(args, ports...)...)
	c.waitLogs(id, "ready")
	return id
}

// sleeper starts a container that only waits (a client to exec in).
func (c *netCLI) sleeper(flags ...string) string {
	c.t.Helper()
	return c.runD(append(append([]string{}, flags...), "busybox", "sleep", "600")...)
}

func (c *netCLI) waitLogs(ref, want string) {
	c.t.Helper()
	pollUntil(c.t, 20*time.Second, "logs of "+ref+" to say "+want, func() (bool, string) {
		r := c.run("logs", ref)
		return strings.Contains(r.stdout, want), r.String()
	})
}

// createNetwork runs `network create` and remembers the id.
func (c *netCLI) createNetwork(name string, flags ...string) string {
	c.t.Helper()
	id := strings.TrimSpace(c.ok(append(append([]string{"network", "create"}, flags...), name)...))
	c.mu.Lock()
	c.networks[id] = true
	c.mu.Unlock()
	return id
}

// ip is the container's address on a network ("" = its only network).
func (c *netCLI) ip(ref, network string) netip.Addr {
	c.t.Helper()
	tmpl := "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"
	if network != "" {
		tmpl = fmt.Sprintf(`{{(index .NetworkSettings.Networks %q).IPAddress}}`, network)
	}
	out := strings.Fields(c.inspectField(ref, tmpl))
	if len(out) != 1 {
		c.t.Fatalf("%s on %q: addresses %q", ref, network, out)
	}
	a, err := netip.ParseAddr(out[0])
	if err != nil {
		c.t.Fatalf("%s on %q: %v", ref, network, err)
	}
	return a
}

// subnet is the network's first subnet.
func (c *netCLI) subnet(network string) netip.Prefix {
	c.t.Helper()
	out := strings.TrimSpace(c.ok("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", network))
	p, err := netip.ParsePrefix(strings.Fields(out + " x")[0])
	if err != nil {
		c.t.Fatalf("subnet of %s: %q", network, out)
	}
	return p
}

// exec runs the probe (or any command) in a container.
func (c *netCLI) exec(ref string, args ...string) result {
	c.t.Helper()
	return c.run(append([]string{"exec", ref}, args...)...)
}

// probe runs the probe in a container.
func (c *netCLI) probe(ref string, args ...string) result {
	c.t.Helper()
	return c.exec(ref, append([]string{"/probe-bin/probe"}, args...)...)
}

// hostPort is the single host port `onggi port` shows for a private port
// bound to addr ("0.0.0.0", "127.0.0.1").
func (c *netCLI) hostPort(ref, private, addr string) string {
	c.t.Helper()
	for _, l := range imageLines(c.ok("port", ref, private)) {
		host, port, ok := strings.Cut(strings.TrimSpace(l), "]:")
		if !ok {
			host, port, _ = strings.Cut(strings.TrimSpace(l), ":")
		}
		if strings.TrimPrefix(host, "[") == addr {
			return port
		}
	}
	c.t.Fatalf("port %s %s: no binding on %s", ref, private, addr)
	return ""
}

// netCleanup removes the test's containers and networks through the CLI,
// then asserts and removes what the kernel still holds for the instance.
func (c *netCLI) netCleanup() {
	c.noteState()
	if ids := strings.Fields(c.run("ps", "-aq", "--no-trunc").stdout); len(ids) > 0 {
		c.run(append([]string{"rm", "-f", "-v"}, ids...)...)
	}
	for _, id := range c.customNetworks() {
		if r := c.run("network", "rm", id); r.code != 0 {
			c.t.Errorf("cleanup: network rm %s: %v", id, r)
		}
	}
	c.assertNoLeftovers(true)
}

// noteState remembers the ids the instance knows about now, so veths of
// containers removed by --rm are checked too.
func (c *netCLI) noteState() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range strings.Fields(c.run("ps", "-aq", "--no-trunc").stdout) {
		c.containers[id] = true
	}
	for _, id := range strings.Fields(c.run("network", "ls", "-q", "--no-trunc").stdout) {
		c.networks[id] = true
	}
}

// customNetworks lists the user-defined networks' ids.
func (c *netCLI) customNetworks() []string {
	return strings.Fields(c.run("network", "ls", "-q", "--no-trunc", "--filter", "type=custom").stdout)
}

// leftovers lists what the instance still holds in the kernel.
func (c *netCLI) leftovers() (links []string, table bool, dns []int) {
	c.mu.Lock()
	names := map[string]bool{"og" + c.tag + "0": true}
	for n := range c.networks {
		names["br-"+n[:min(12, len(n))]] = true
		for ctr := range c.containers {
			sum := sha256.Sum256([]byte(ctr + n))
			names["veth"+hex.EncodeToString(sum[:])[:7]] = true
		}
	}
	c.mu.Unlock()
	ents, _ := os.ReadDir("/sys/class/net")
	for _, e := range ents {
		if names[e.Name()] {
			links = append(links, e.Name())
		}
	}
	out, _ := exec.Command("nft", "list", "tables").Output()
	table = slices.Contains(strings.Fields(string(out)), "onggi-"+c.tag)
	return links, table, dnsPids(c.runroot)
}

// assertNoLeftovers waits a little for the DNS responders to notice their
// networks are gone (they exit on their own within ~2 s), reports what is
// left, and deletes it when clean is set.
func (c *netCLI) assertNoLeftovers(clean bool) {
	deadline := time.Now().Add(5 * time.Second)
	for len(dnsPids(c.runroot)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	links, table, dns := c.leftovers()
	if len(links) > 0 {
		c.t.Errorf("interfaces left behind: %v", links)
	}
	if table {
		c.t.Errorf("nft table onggi-%s left behind:\n%s", c.tag, nftTable(c.tag))
	}
	if len(dns) > 0 {
		c.t.Errorf("onggi-dns processes left behind: %v", dns)
	}
	if !clean {
		return
	}
	for _, l := range links {
		exec.Command("ip", "link", "del", l).Run()
	}
	if table {
		exec.Command("nft", "delete", "table", "inet", "onggi-"+c.tag).Run()
	}
	for _, pid := range dns {
		syscall.Kill(pid, syscall.SIGKILL)
		waitGone(pid)
	}
}

func nftTable(tag string) string {
	out, _ := exec.Command("nft", "list", "table", "inet", "onggi-"+tag).CombinedOutput()
	return string(out)
}

// dnsPids finds onggi-dns responders serving runroot.
func dnsPids(runroot string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if !strings.Contains(args[0], "onggi-dns") && !slices.Contains(args, "onggi-dns") {
			continue
		}
		if slices.Contains(args, runroot) || slices.Contains(args, "--runroot="+runroot) {
			out = append(out, pid)
		}
	}
	return out
}

// pollUntil retries check until it holds or the timeout passes (a bounded
// wait, never a fixed sleep); last is shown on failure.
func pollUntil(t testing.TB, timeout time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting %v for %s:\n%s", timeout, what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// otherHost is "another machine": a network namespace joined to the host
// by its own veth pair and /30, with a default route via the host.
type otherHost struct {
	t              testing.TB
	ns, hostIf     string
	hostAddr, addr netip.Addr
	slot           int
	// hostAddr6 and addr6 are set by addIPv6.
	hostAddr6, addr6 netip.Addr
}

var otherHostSeq atomic.Int32

func newOtherHost(t testing.TB) *otherHost {
	t.Helper()
	n := int(otherHostSeq.Add(1))
	id := fmt.Sprintf("%d%d", os.Getpid()%100000, n)
	// 10.201.P.Q/30 from the pid and a counter: parallel tests and
	// processes get their own link. (No test network may use 10.201/16:
	// its bridge would overlap these routes.)
	slot := (os.Getpid()*16 + n) % (256 * 64)
	base := netip.AddrFrom4([4]byte{10, 201, byte(slot / 64), byte(slot%64) * 4})
	h := &otherHost{t: t, ns: "xhost" + id, hostIf: "xh" + id, hostAddr: base.Next(), addr: base.Next().Next(), slot: slot}
	t.Cleanup(h.remove)
	for _, args := range [][]string{
		{"netns", "add", h.ns},
		{"link", "add", h.hostIf, "type", "veth", "peer", "name", "eth0", "netns", h.ns},
		{"addr", "add", h.hostAddr.String() + "/30", "dev", h.hostIf},
		{"link", "set", h.hostIf, "up"},
		{"-n", h.ns, "link", "set", "lo", "up"},
		{"-n", h.ns, "addr", "add", h.addr.String() + "/30", "dev", "eth0"},
		{"-n", h.ns, "link", "set", "eth0", "up"},
		{"-n", h.ns, "route", "add", "default", "via", h.hostAddr.String()},
	} {
		imageRunTool(t, "ip", args...)
	}
	return h
}

// addIPv6 gives the link a ULA /64 of its own (no DAD: the addresses are
// usable at once) and the other host a default IPv6 route via the host.
func (h *otherHost) addIPv6() {
	h.t.Helper()
	pfx := fmt.Sprintf("fd6f:6767:%x::", h.slot)
	h.hostAddr6, h.addr6 = netip.MustParseAddr(pfx+"1"), netip.MustParseAddr(pfx+"2")
	for _, args := range [][]string{
		{"addr", "add", h.hostAddr6.String() + "/64", "dev", h.hostIf, "nodad"},
		{"-n", h.ns, "addr", "add", h.addr6.String() + "/64", "dev", "eth0", "nodad"},
		{"-n", h.ns, "-6", "route", "add", "default", "via", h.hostAddr6.String()},
	} {
		imageRunTool(h.t, "ip", args...)
	}
}

func (h *otherHost) remove() {
	exec.Command("ip", "netns", "del", h.ns).Run()
	exec.Command("ip", "link", "del", h.hostIf).Run()
	if _, err := os.Stat("/sys/class/net/" + h.hostIf); err == nil {
		h.t.Errorf("other host's link %s left behind", h.hostIf)
	}
}

// command runs argv inside the other host's namespace.
func (h *otherHost) command(args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.ns}, args...)...)
}

// probe runs the probe on the other host.
func (h *otherHost) probe(args ...string) result {
	h.t.Helper()
	return runCmd(h.t, h.command(append([]string{probeBin(h.t)}, args...)...))
}

// serve runs the probe's server on the other host until the test ends.
func (h *otherHost) serve(msg string, port string) {
	h.t.Helper()
	cmd := h.command(probeBin(h.t), "serve", msg, port)
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := netipJoin(h.addr, port)
	pollUntil(h.t, 10*time.Second, "the other host's server", func() (bool, string) {
		r := hostProbe(h.t, "dial", "tcp", addr)
		return r.code == 0, r.String()
	})
}

// hostProbe runs the probe on the host.
func hostProbe(t testing.TB, args ...string) result {
	t.Helper()
	return runCmd(t, exec.Command(probeBin(t), args...))
}

func netipJoin(a netip.Addr, port string) string {
	p, _ := strconv.Atoi(port)
	return netip.AddrPortFrom(a, uint16(p)).String()
}

// expectDial dials until the answer is want (the rules may land a moment
// after run returns), failing after a bounded wait.
func expectDial(t testing.TB, what, want string, dial func() result) {
	t.Helper()
	pollUntil(t, 15*time.Second, what, func() (bool, string) {
		r := dial()
		return r.code == 0 && strings.TrimSpace(r.stdout) == want, r.String()
	})
}

// expectNoDial checks that a dial fails (the probe's own 2 s timeout bounds
// it). The caller has shown the server answers from elsewhere first.
func expectNoDial(t testing.TB, what string, dial func() result) {
	t.Helper()
	if r := dial(); r.code == 0 {
		t.Errorf("%s: reachable, want unreachable: %v", what, r)
	}
}

// expectNoDials runs several expectNoDial checks at once: each waits out
// the probe's timeout, so in a row they would add up.
func expectNoDials(t testing.TB, checks map[string]func() result) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	for what, dial := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := dial(); r.code == 0 {
				mu.Lock()
				failed = append(failed, fmt.Sprintf("%s: reachable, want unreachable: %v", what, r))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(failed)
	for _, f := range failed {
		t.Error(f)
	}
}
