package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	ctypes "github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/network"
	"github.com/onggi/onggi/network/dns"
	"github.com/onggi/onggi/network/link"
	"github.com/onggi/onggi/network/nft"
	"github.com/vishvananda/netlink"
)

// cleanupNetworks removes what a test engine's networking left in the
// kernel (bridges, the nft table, DNS responders, netns files); it runs
// from cleanupEngine after every container is gone.
func cleanupNetworks(t *testing.T, e *Engine) {
	if _, err := os.Stat(filepath.Join(e.root, "networks")); err != nil {
		return
	}
	store, _, err := e.openNetworks()
	if err != nil {
		return
	}
	nets, _ := store.List()
	for _, n := range nets {
		if _, err := os.Stat(dns.RecordsPath(e.runroot, n.ID)); err == nil {
			_ = dns.Stop(e.runroot, n.ID)
		}
		if n.Bridge != "" {
			if err := link.DeleteBridge(n.Bridge); err != nil {
				t.Logf("cleanup: bridge %s: %v", n.Bridge, err)
			}
		}
	}
	_ = nft.Delete(e.nftTable())
	files, _ := filepath.Glob(filepath.Join(e.runroot, "netns", "*"))
	for _, f := range files {
		_ = link.DeleteNetNS(f)
	}
	if _, err := netlink.LinkByName(network.DefaultBridgeName(e.net.tag)); err == nil {
		t.Errorf("cleanup: default bridge %s still there", network.DefaultBridgeName(e.net.tag))
	}
}

func createNamed(t *testing.T, e *Engine, name string, cfg *ctypes.Config, hc *ctypes.HostConfig, nc *mnet.NetworkingConfig) *container.Container {
	t.Helper()
	c, _, err := e.CreateContainer(context.Background(), CreateOptions{Name: name, Image: "busybox", Config: cfg, HostConfig: hc, NetworkingConfig: nc})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := e.StartContainer(context.Background(), c.ID, nil); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	got, err := e.GetContainer(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func mustExec(t *testing.T, e *Engine, id string, args ...string) string {
	t.Helper()
	code, out, err := execOut(t, e, id, ExecOptions{Cmd: args})
	if err != nil || code != 0 {
		t.Fatalf("exec %v: code %d, %v\n%s", args, code, err, out)
	}
	return out
}

// TestNetworkUserNetwork: two containers on a user network get addresses
// and a default route, resolve each other by name and alias, and leave
// nothing behind once removed with the network.
func TestNetworkUserNetwork(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	resp, err := e.CreateNetwork(ctx, "tnet", mnet.CreateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.InspectNetwork(ctx, "tnet")
	if err != nil || len(n.IPAM.Config) != 1 {
		t.Fatalf("inspect network: %+v %v", n, err)
	}
	gw := n.IPAM.Config[0].Gateway
	sleep := cmd("sleep", "1000")
	web := createNamed(t, e, "web", sleep, &ctypes.HostConfig{NetworkMode: "tnet"},
		&mnet.NetworkingConfig{EndpointsConfig: map[string]*mnet.EndpointSettings{"tnet": {Aliases: []string{"www"}}}})
	client := createNamed(t, e, "client", sleep, &ctypes.HostConfig{NetworkMode: "tnet"}, nil)

	es := web.Networks["tnet"]
	if es == nil || !es.IPAddress.IsValid() || es.Gateway != gw || es.NetworkID != resp.ID {
		t.Fatalf("web endpoint: %+v", es)
	}
	if out := mustExec(t, e, web.ID, "ip", "addr", "show", "eth0"); !strings.Contains(out, es.IPAddress.String()+"/") {
		t.Errorf("eth0 lacks %s:\n%s", es.IPAddress, out)
	}
	gwHex := routeHex(gw)
	if out := mustExec(t, e, web.ID, "cat", "/proc/net/route"); !strings.Contains(out, "00000000\t"+gwHex) {
		t.Errorf("no default route via %s (%s):\n%s", gw, gwHex, out)
	}
	for _, name := range []string{"web", "www"} {
		out := mustExec(t, e, client.ID, "nslookup", name)
		if !strings.Contains(out, es.IPAddress.String()) {
			t.Errorf("nslookup %s: want %s:\n%s", name, es.IPAddress, out)
		}
	}
	mustExec(t, e, client.ID, "ping", "-c1", "-W5", "web")
	if err := e.RenameContainer(ctx, web.ID, "web2"); err != nil {
		t.Fatal(err)
	}
	if out := mustExec(t, e, client.ID, "nslookup", "web2"); !strings.Contains(out, es.IPAddress.String()) {
		t.Errorf("nslookup after rename:\n%s", out)
	}

	ins, err := e.InspectContainer(ctx, web.ID)
	if err != nil || ins.NetworkSettings.SandboxKey != e.netnsPath(web.ID) {
		t.Errorf("inspect sandbox key: %+v %v", ins.NetworkSettings, err)
	}
	vethA := vethName(web.ID, resp.ID)
	for _, c := range []*container.Container{web, client} {
		if err := e.RemoveContainer(ctx, c.ID, RemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.RemoveNetwork(ctx, "tnet"); err != nil {
		t.Fatal(err)
	}
	assertNoNetworkLeft(t, e, []string{web.ID, client.ID}, []string{vethA, "br-" + resp.ID[:12]})
}

// routeHex is an IPv4 address as /proc/net/route prints it.
func routeHex(a netip.Addr) string {
	b := a.As4()
	return fmt.Sprintf("%02X%02X%02X%02X", b[3], b[2], b[1], b[0])
}

// assertNoNetworkLeft checks that no veth, netns, nft table, endpoint file
// or DNS records of the given containers and interfaces remain.
func assertNoNetworkLeft(t *testing.T, e *Engine, ids, links []string) {
	t.Helper()
	for _, l := range links {
		if _, err := netlink.LinkByName(l); err == nil {
			t.Errorf("link %s left behind", l)
		}
	}
	for _, id := range ids {
		for _, p := range []string{e.netnsPath(id), e.endpointPath(id)} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s left behind", p)
			}
		}
	}
	if left, _ := filepath.Glob(filepath.Join(e.runroot, "network", "dns", "*.json")); len(left) > 0 {
		t.Errorf("dns records left: %v", left)
	}
	if pids, _ := filepath.Glob(filepath.Join(e.runroot, "network", "dns", "*.pid")); len(pids) > 0 {
		for _, p := range pids {
			b, _ := os.ReadFile(p)
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && !procExited(pid) {
				t.Errorf("dns responder %d still runs", pid)
			}
		}
	}
	if tableExists(e.nftTable()) {
		t.Errorf("nft table %s left behind", e.nftTable())
	}
}

func tableExists(name string) bool {
	conn, err := nftables.New()
	if err != nil {
		return false
	}
	tables, err := conn.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return false
	}
	for _, tb := range tables {
		if tb.Name == name {
			return true
		}
	}
	return false
}

// TestNetworkPublishedPort: a port published on an ephemeral host port of
// 127.0.0.1 on the default bridge answers from the host, and the default
// bridge container has no DNS responder but the host's resolvers.
func TestNetworkPublishedPort(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	p := mnet.MustParsePort("80/tcp")
	hc := &ctypes.HostConfig{PortBindings: mnet.PortMap{p: {{HostIP: netip.MustParseAddr("127.0.0.1")}}}}
	srv := cmd("sh", "-c", "echo hello-onggi > /tmp/index.html && exec httpd -f -p 80 -h /tmp")
	c := createNamed(t, e, "srv", srv, hc, nil)
	binds := c.Ports[p]
	if len(binds) != 1 || binds[0].HostPort == "" || binds[0].HostPort == "0" {
		t.Fatalf("ports: %+v", c.Ports)
	}
	addr := net.JoinHostPort("127.0.0.1", binds[0].HostPort)
	body := httpGet(t, addr)
	if !strings.Contains(body, "hello-onggi") {
		t.Errorf("GET %s: %q", addr, body)
	}
	ps, err := e.ContainerPorts(ctx, c.ID)
	if err != nil || len(ps) != 1 || strconv.Itoa(int(ps[0].PublicPort)) != binds[0].HostPort {
		t.Errorf("port: %+v %v", ps, err)
	}
	resolv := mustExec(t, e, c.ID, "cat", "/etc/resolv.conf")
	if strings.Contains(resolv, "nameserver 127.") {
		t.Errorf("loopback resolver copied:\n%s", resolv)
	}
	bridgeVeth := vethName(c.ID, c.Networks["bridge"].NetworkID)
	if err := e.RemoveContainer(ctx, c.ID, RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	assertNoNetworkLeft(t, e, []string{c.ID}, []string{bridgeVeth})
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("%s still answers after rm (%s -> %s)", addr, conn.LocalAddr(), conn.RemoteAddr())
		conn.Close()
	}
}

// httpGet fetches / from addr, retrying while the server starts.
func httpGet(t *testing.T, addr string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(conn, "GET /index.html HTTP/1.0\r\n\r\n")
			b, _ := io.ReadAll(conn)
			conn.Close()
			if len(b) > 0 {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// simulateRebootNetwork does to a test engine's networking what a reboot
// does: netns files unmounted (their veths die with them), bridges and
// the nft table gone. The runroot is wiped by the caller.
func simulateRebootNetwork(t *testing.T, e *Engine) {
	t.Helper()
	cleanupNetworks(t, e)
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// TestNetworkCreateValidation: docker's create-time errors and warnings.
func TestNetworkCreateValidation(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	if _, err := e.CreateNetwork(ctx, "vnet", mnet.CreateRequest{IPAM: &mnet.IPAM{Config: []mnet.IPAMConfig{{Subnet: netip.MustParsePrefix("10.203.7.0/24")}}}}); err != nil {
		t.Fatal(err)
	}
	ip := func(s string) *mnet.NetworkingConfig {
		return &mnet.NetworkingConfig{EndpointsConfig: map[string]*mnet.EndpointSettings{"vnet": {IPAMConfig: &mnet.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr(s)}}}}
	}
	cases := []struct {
		name string
		hc   *ctypes.HostConfig
		cfg  *ctypes.Config
		nc   *mnet.NetworkingConfig
		want error
		msg  string
	}{
		{"no such network", &ctypes.HostConfig{NetworkMode: "nosuch"}, nil, nil, errdefs.ErrNotFound, "network nosuch not found"},
		{"alias on bridge", &ctypes.HostConfig{}, nil, &mnet.NetworkingConfig{EndpointsConfig: map[string]*mnet.EndpointSettings{"bridge": {Aliases: []string{"x"}}}}, errdefs.ErrInvalid, "network-scoped alias is supported only for containers in user defined networks"},
		{"ip on bridge", &ctypes.HostConfig{NetworkMode: "bridge"}, nil, &mnet.NetworkingConfig{EndpointsConfig: map[string]*mnet.EndpointSettings{"bridge": {IPAMConfig: &mnet.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr("10.1.1.1")}}}}, errdefs.ErrInvalid, "user specified IP address is supported on user defined networks only"},
		{"ip outside subnet", &ctypes.HostConfig{NetworkMode: "vnet"}, nil, ip("10.9.9.9"), errdefs.ErrInvalid, "no configured subnet"},
		{"container mode hostname", &ctypes.HostConfig{NetworkMode: "container:x"}, &ctypes.Config{Hostname: "h"}, nil, errdefs.ErrInvalid, "conflicting options: hostname and the network mode"},
		{"container mode ports", &ctypes.HostConfig{NetworkMode: "container:x", PublishAllPorts: true}, nil, nil, errdefs.ErrInvalid, "port publishing"},
		{"container mode missing", &ctypes.HostConfig{NetworkMode: "container:nosuch"}, nil, nil, errdefs.ErrNotFound, ""},
	}
	for _, tc := range cases {
		cfg := tc.cfg
		if cfg == nil {
			cfg = cmd("true")
		}
		cfg.Cmd = []string{"true"}
		_, _, err := e.CreateContainer(ctx, CreateOptions{Image: "busybox", Config: cfg, HostConfig: tc.hc, NetworkingConfig: tc.nc})
		if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.msg) {
			t.Errorf("%s: %v, want %v %q", tc.name, err, tc.want, tc.msg)
		}
	}
	p := mnet.MustParsePort("80/tcp")
	_, w, err := e.CreateContainer(ctx, CreateOptions{Image: "busybox", Config: cmd("true"), HostConfig: &ctypes.HostConfig{NetworkMode: "host", PortBindings: mnet.PortMap{p: {{HostPort: "80"}}}}})
	if err != nil || len(w) != 1 || w[0] != "Published ports are discarded when using host network mode" {
		t.Errorf("host with -p: %v %v", w, err)
	}
	c, _, err := e.CreateContainer(ctx, CreateOptions{Image: "busybox", Config: cmd("true"), HostConfig: &ctypes.HostConfig{NetworkMode: "vnet"}, NetworkingConfig: ip("10.203.7.77")})
	if err != nil || c.Networks["vnet"] == nil || c.Networks["vnet"].IPAMConfig.IPv4Address.String() != "10.203.7.77" {
		t.Fatalf("--ip: %+v %v", c, err)
	}
	if code, err := runToExit(e, c.ID); err != nil || code != 0 {
		t.Fatalf("run --ip: %d %v", code, err)
	}
}

// runToExit starts a created container and waits for its exit code.
func runToExit(e *Engine, id string) (int, error) {
	ctx := context.Background()
	if _, err := e.StartContainer(ctx, id, nil); err != nil {
		return -1, err
	}
	return e.WaitContainer(ctx, id)
}

// TestNetworkConnectContainerMode: connect and disconnect a running
// container (an interface appears and goes), a stopped one only in its
// record; --network container:<id> shares the other's interfaces.
func TestNetworkConnectContainerMode(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	for _, name := range []string{"net1", "net2"} {
		if _, err := e.CreateNetwork(ctx, name, mnet.CreateRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	sleep := cmd("sleep", "1000")
	a := createNamed(t, e, "ca", sleep, &ctypes.HostConfig{NetworkMode: "net1"}, nil)
	if err := e.ConnectNetwork(ctx, "net2", "ca", &mnet.EndpointSettings{Aliases: []string{"alpha"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.ConnectNetwork(ctx, "net2", "ca", nil); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("second connect: %v", err)
	}
	a, _ = e.GetContainer(ctx, a.ID)
	es2 := a.Networks["net2"]
	if es2 == nil || !es2.IPAddress.IsValid() {
		t.Fatalf("net2 endpoint: %+v", es2)
	}
	if out := mustExec(t, e, a.ID, "ip", "addr", "show", "eth1"); !strings.Contains(out, es2.IPAddress.String()+"/") {
		t.Errorf("eth1 lacks %s:\n%s", es2.IPAddress, out)
	}
	if out := mustExec(t, e, a.ID, "cat", "/etc/hosts"); !strings.Contains(out, es2.IPAddress.String()+"\t") {
		t.Errorf("/etc/hosts lacks the connected address:\n%s", out)
	}
	b := createNamed(t, e, "cb", sleep, &ctypes.HostConfig{NetworkMode: "net2"}, nil)
	if out := mustExec(t, e, b.ID, "nslookup", "alpha"); !strings.Contains(out, es2.IPAddress.String()) {
		t.Errorf("alias after connect:\n%s", out)
	}
	shared := createNamed(t, e, "shared", sleep, &ctypes.HostConfig{NetworkMode: ctypes.NetworkMode("container:" + a.ID)}, nil)
	if out := mustExec(t, e, shared.ID, "ip", "addr"); !strings.Contains(out, es2.IPAddress.String()) {
		t.Errorf("container mode does not see a's interfaces:\n%s", out)
	}
	if err := e.DisconnectNetwork(ctx, "net2", "ca", false); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := execOut(t, e, a.ID, ExecOptions{Cmd: []string{"ip", "link", "show", "eth1"}}); code == 0 {
		t.Errorf("eth1 still there after disconnect:\n%s", out)
	}
	if out := mustExec(t, e, a.ID, "cat", "/etc/hosts"); strings.Contains(out, es2.IPAddress.String()+"\t") {
		t.Errorf("/etc/hosts keeps the disconnected address:\n%s", out)
	}
	if err := e.DisconnectNetwork(ctx, "net2", "ca", false); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("second disconnect: %v", err)
	}
	if err := e.RemoveNetwork(ctx, "net2"); !errors.Is(err, errdefs.ErrInUse) {
		t.Errorf("rm of a network in use: %v", err)
	}
	// A stopped container: connect changes only the record.
	stopped := create(t, e, cmd("true"), &ctypes.HostConfig{NetworkMode: "none"})
	if err := e.ConnectNetwork(ctx, "net1", stopped.ID, nil); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("connect of a none container: %v", err)
	}
	later := create(t, e, cmd("true"), &ctypes.HostConfig{NetworkMode: "net1"})
	if err := e.ConnectNetwork(ctx, "net2", later.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.GetContainer(ctx, later.ID); got.Networks["net2"] == nil || got.Networks["net2"].IPAddress.IsValid() {
		t.Errorf("stopped connect: %+v", got.Networks)
	}
}

// TestNetworkCRUD: create with options, ls filters, rm and prune rules.
func TestNetworkCRUD(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	req := mnet.CreateRequest{Internal: true, Labels: map[string]string{"tier": "db"}, Options: map[string]string{"com.docker.network.driver.mtu": "1400"},
		IPAM: &mnet.IPAM{Config: []mnet.IPAMConfig{{Subnet: netip.MustParsePrefix("10.202.0.0/16"), IPRange: netip.MustParsePrefix("10.202.5.0/24"), Gateway: netip.MustParseAddr("10.202.0.254")}}}}
	if _, err := e.CreateNetwork(ctx, "dbnet", req); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateNetwork(ctx, "dbnet", mnet.CreateRequest{}); !errors.Is(err, errdefs.ErrExists) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := e.CreateNetwork(ctx, "overlap", mnet.CreateRequest{IPAM: &mnet.IPAM{Config: []mnet.IPAMConfig{{Subnet: netip.MustParsePrefix("10.202.9.0/24")}}}}); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("overlapping subnet: %v", err)
	}
	if _, err := e.CreateNetwork(ctx, "spare", mnet.CreateRequest{}); err != nil {
		t.Fatal(err)
	}
	n, err := e.InspectNetwork(ctx, "dbnet")
	if err != nil || !n.Internal || n.IPAM.Config[0].Gateway.String() != "10.202.0.254" || n.Labels["tier"] != "db" {
		t.Fatalf("inspect: %+v %v", n, err)
	}
	c := createNamed(t, e, "db", cmd("sleep", "1000"), &ctypes.HostConfig{NetworkMode: "dbnet"}, nil)
	es := c.Networks["dbnet"]
	if !netip.MustParsePrefix("10.202.5.0/24").Contains(es.IPAddress) {
		t.Errorf("address %s outside --ip-range", es.IPAddress)
	}
	if out := mustExec(t, e, c.ID, "cat", "/proc/net/route"); strings.Contains(out, "\n"+"eth0\t00000000") {
		t.Errorf("internal network has a default route:\n%s", out)
	}
	n, _ = e.InspectNetwork(ctx, "dbnet")
	if r, ok := n.Containers[c.ID]; !ok || r.IPv4Address.Addr() != es.IPAddress || r.Name != "db" {
		t.Errorf("inspect containers: %+v", n.Containers)
	}
	names := func(f map[string][]string) []string {
		list, err := e.ListNetworks(ctx, f)
		if err != nil {
			t.Fatalf("ls %v: %v", f, err)
		}
		var out []string
		for _, s := range list {
			out = append(out, s.Name)
		}
		return out
	}
	if got := names(map[string][]string{"label": {"tier=db"}}); len(got) != 1 || got[0] != "dbnet" {
		t.Errorf("label filter: %v", got)
	}
	if got := names(map[string][]string{"type": {"builtin"}}); len(got) != 3 {
		t.Errorf("builtin: %v", got)
	}
	if got := names(map[string][]string{"dangling": {"true"}}); len(got) != 1 || got[0] != "spare" {
		t.Errorf("dangling: %v", got)
	}
	if _, err := e.ListNetworks(ctx, map[string][]string{"bogus": {"x"}}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("bogus filter: %v", err)
	}
	if err := e.RemoveNetwork(ctx, "bridge"); err == nil {
		t.Errorf("rm bridge accepted")
	}
	pruned, err := e.PruneNetworks(ctx, nil)
	if err != nil || len(pruned) != 1 || pruned[0] != "spare" {
		t.Errorf("prune: %v %v", pruned, err)
	}
	if err := e.RemoveContainer(ctx, c.ID, RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.RemoveNetwork(ctx, "dbnet"); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName("br-" + n.ID[:12]); err == nil {
		t.Errorf("bridge of dbnet left")
	}
}

// TestNetworkRestarts: a restart by the monitor keeps the namespace, the
// address and the published port; stop tears it down and start sets it
// up again.
func TestNetworkRestarts(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	p := mnet.MustParsePort("80/tcp")
	hc := &ctypes.HostConfig{
		RestartPolicy: ctypes.RestartPolicy{Name: ctypes.RestartPolicyOnFailure, MaximumRetryCount: 1},
		PortBindings:  mnet.PortMap{p: {{}}},
	}
	c := createNamed(t, e, "flaky", cmd("sh", "-c", "test -e /tmp/again || { touch /tmp/again; sleep 0.3; exit 1; }; exec sleep 1000"), hc, nil)
	ip, port := c.Networks["bridge"].IPAddress, c.Ports[p][0].HostPort
	got := waitState(t, e, c.ID, func(c *container.Container) bool {
		return c.RestartCount == 1 && c.State.Running && !c.State.Restarting
	})
	if got.Networks["bridge"].IPAddress != ip || got.Ports[p][0].HostPort != port {
		t.Errorf("restart changed the endpoint: %s:%s -> %+v %+v", ip, port, got.Networks["bridge"], got.Ports)
	}
	zero := time.Duration(0)
	if err := e.StopContainer(ctx, c.ID, &zero, ""); err != nil {
		t.Fatal(err)
	}
	got, _ = e.GetContainer(ctx, c.ID)
	if got.Ports != nil || got.Networks["bridge"].IPAddress.IsValid() || fileExists(e.netnsPath(c.ID)) || fileExists(e.endpointPath(c.ID)) {
		t.Errorf("after stop: ports %v endpoint %+v state %+v restarts %d", got.Ports, got.Networks["bridge"], got.State, got.RestartCount)
	}
	if _, err := e.StartContainer(ctx, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = e.GetContainer(ctx, c.ID)
	if !got.Networks["bridge"].IPAddress.IsValid() || len(got.Ports[p]) != 1 {
		t.Errorf("after start: %+v %+v", got.Networks["bridge"], got.Ports)
	}
	mustExec(t, e, c.ID, "ip", "addr", "show", "eth0")
}

// TestNetworkIPv6: --ipv6 without a subnet gets a ULA /64; the container
// has an address in it and a default route per family.
func TestNetworkIPv6(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	v6 := true
	if _, err := e.CreateNetwork(ctx, "six", mnet.CreateRequest{EnableIPv6: &v6}); err != nil {
		t.Fatal(err)
	}
	n, err := e.InspectNetwork(ctx, "six")
	if err != nil || len(n.IPAM.Config) != 2 || !n.EnableIPv6 {
		t.Fatalf("inspect: %+v %v", n.IPAM, err)
	}
	c := createNamed(t, e, "sixer", cmd("sleep", "1000"), &ctypes.HostConfig{NetworkMode: "six"}, nil)
	es := c.Networks["six"]
	if !es.GlobalIPv6Address.IsValid() || !es.IPv6Gateway.IsValid() || es.GlobalIPv6PrefixLen != 64 {
		t.Fatalf("endpoint: %+v", es)
	}
	if out := mustExec(t, e, c.ID, "ip", "-6", "addr", "show", "eth0"); !strings.Contains(out, es.GlobalIPv6Address.String()) {
		t.Errorf("eth0 lacks %s:\n%s", es.GlobalIPv6Address, out)
	}
	if out := mustExec(t, e, c.ID, "ip", "-6", "route"); !strings.Contains(out, "default via "+es.IPv6Gateway.String()) {
		t.Errorf("no v6 default route:\n%s", out)
	}
	hosts := mustExec(t, e, c.ID, "cat", "/etc/hosts")
	if !strings.Contains(hosts, es.GlobalIPv6Address.String()) || !strings.Contains(hosts, es.IPAddress.String()) {
		t.Errorf("/etc/hosts:\n%s", hosts)
	}
}
