package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	mnet "github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/network"
	"github.com/onggi/onggi/network/dns"
	"github.com/onggi/onggi/network/ipam"
	"github.com/onggi/onggi/network/link"
	"github.com/onggi/onggi/reexec"
)

// composeServiceLabel names a compose service: its replicas share it as a
// DNS name (round-robin), as on docker.
const composeServiceLabel = "com.docker.compose.service"

// attachment is one network a container joins, in interface order.
type attachment struct {
	n   *network.Network
	req *mnet.EndpointSettings
}

// orderedNetworks is c's networks in interface order: the network of
// --network first (eth0), the others by name, as docker orders them.
func (e *Engine) orderedNetworks(c *container.Container) ([]attachment, error) {
	names := make([]string, 0, len(c.Networks))
	for name := range c.Networks {
		names = append(names, name)
	}
	primary := string(c.HostConfig.NetworkMode)
	if _, ok := c.Networks[primary]; !ok {
		if n, err := e.net.store.Get(primary); err == nil {
			primary = n.Name // --network given by id
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == primary) != (names[j] == primary) {
			return names[i] == primary
		}
		return names[i] < names[j]
	})
	out := make([]attachment, 0, len(names))
	for _, name := range names {
		req := c.Networks[name]
		ref := name
		if req != nil && req.NetworkID != "" {
			ref = req.NetworkID
		}
		n, err := e.net.store.Get(ref)
		if err != nil {
			return nil, err
		}
		if req == nil {
			req = &mnet.EndpointSettings{}
		}
		out = append(out, attachment{n: n, req: req})
	}
	return out, nil
}

// attachNetworks sets c up on its networks for a run: a network namespace
// at <runroot>/netns/<id>, one veth per network created inside it, the
// addresses, the published ports, the nft ruleset and the DNS records,
// all recorded in the endpoint file. On error everything made is undone.
func (e *Engine) attachNetworks(c *container.Container) (_ *endpointState, retErr error) {
	defer Span("net.attach")()
	if _, _, err := e.networks(); err != nil {
		return nil, err
	}
	atts, err := e.orderedNetworks(c)
	if err != nil {
		return nil, err
	}
	reqs, err := portRequests(c.Config, c.HostConfig)
	if err != nil {
		return nil, err
	}
	if err := e.awaitTeardown(c); err != nil {
		return nil, err
	}
	st := &endpointState{ID: c.ID, Name: c.Name, NetNS: e.netnsPath(c.ID), StarterPid: os.Getpid()}
	st.StarterStart, _ = procStartTime(st.StarterPid)
	// The endpoint file exists from here on, so gcNetworks (the last
	// container of the instance gone) never deletes the bridge or the
	// table under a start in progress.
	if err := e.reserveEndpoint(st); err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			e.teardownEndpoint(st, nil)
		}
	}()
	if err := newNetNS(st.NetNS); err != nil {
		return nil, err
	}
	gateway := false
	for i, a := range atts {
		en, err := e.attachOne(c, st.NetNS, a, fmt.Sprintf("eth%d", i), !gateway)
		st.Networks = append(st.Networks, en) // teardown undoes a partial one too
		if err != nil {
			return nil, err
		}
		gateway = gateway || en.Default
	}
	if err := e.publish(st, reqs); err != nil {
		return nil, err
	}
	return st, nil
}

// awaitTeardown waits for the previous run's teardown: a container that
// exited on its own and is started again at once may still have its Done
// hook (in the monitor) detaching it. Past a bound, or with no monitor to
// finish it, the leftovers are torn down here. An endpoint set up by
// another live process is a start in progress: errdefs.ErrConflict.
func (e *Engine) awaitTeardown(c *container.Container) error {
	st, err := e.readEndpoint(c.ID)
	if err != nil {
		return nil
	}
	if st.StarterPid > 0 && st.StarterPid != os.Getpid() && !procExited(st.StarterPid) {
		if at, err := procStartTime(st.StarterPid); err == nil && at == st.StarterStart {
			return classed(errdefs.ErrConflict, "container %s is being started by another process", c.Name)
		}
	}
	defer Span("net.await-teardown")()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && e.monitorAlive(c) {
		time.Sleep(5 * time.Millisecond)
		if _, err := os.Lstat(e.endpointPath(c.ID)); err != nil {
			return nil
		}
	}
	e.detachNetworks(c)
	return nil
}

// newNetNS creates the netns file, replacing a leftover of a crashed start.
func newNetNS(path string) error {
	defer Span("net.netns")()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if _, err := os.Lstat(path); err == nil {
		_ = link.DeleteNetNS(path)
	}
	return link.NewNetNS(path)
}

// attachOne joins c to one network: bridge, forwarding, addresses, veth.
func (e *Engine) attachOne(c *container.Container, ns string, a attachment, ifName string, wantGW bool) (endpointNet, error) {
	defer Span("net.attach-one")()
	n := a.n
	en := endpointNet{
		Name: n.Name, ID: n.ID, Bridge: n.Bridge, HostVeth: vethName(c.ID, n.ID), IfName: ifName,
		Internal: n.Internal, DNS: !n.Predefined, Aliases: a.req.Aliases,
	}
	if err := e.ensureBridge(n); err != nil {
		return en, err
	}
	if !n.Internal {
		if err := link.EnableForwarding(n.EnableIPv6); err != nil {
			return en, err
		}
	}
	en.Allocated = true
	if err := e.allocate(c.ID, n, a.req, &en); err != nil {
		return en, err
	}
	mac := net.HardwareAddr(a.req.MacAddress)
	if len(mac) == 0 {
		mac = link.GenerateMAC(en.IPv4.Addr())
	}
	en.MAC = mac.String()
	v := link.Veth{HostName: en.HostVeth, Bridge: n.Bridge, NetNS: ns, IfName: ifName, MAC: mac, MTU: n.MTU}
	for _, p := range []netip.Prefix{en.IPv4, en.IPv6} {
		if p.IsValid() {
			v.Addrs = append(v.Addrs, p)
		}
	}
	if wantGW && !n.Internal {
		en.Default = true
		for _, g := range []netip.Addr{en.Gateway, en.Gateway6} {
			if g.IsValid() {
				v.Gateways = append(v.Gateways, g)
			}
		}
	}
	end := Span("net.veth")
	// A previous run's pair may still be dying with its namespace (the
	// monitor leaves that to the kernel): it has this pair's name.
	err := link.DeleteVeth(v.HostName)
	if err == nil {
		err = link.AddVeth(v)
	}
	end()
	if err != nil {
		return en, fmt.Errorf("connecting to network %s: %w", n.Name, err)
	}
	en.DNSNames = dnsNames(c, a.req)
	return en, nil
}

// allocate takes c's addresses on n (one per subnet family), honouring
// --ip/--ip6.
func (e *Engine) allocate(id string, n *network.Network, req *mnet.EndpointSettings, en *endpointNet) error {
	defer Span("net.ipam")()
	for _, sn := range n.Subnets {
		var want netip.Addr
		v4 := sn.Prefix.Addr().Is4()
		if req.IPAMConfig != nil {
			if v4 {
				want = req.IPAMConfig.IPv4Address
			} else {
				want = req.IPAMConfig.IPv6Address
			}
		}
		if want.IsValid() && !sn.Prefix.Contains(want.Unmap()) {
			want = netip.Addr{} // the other family's subnet
		}
		pool := ipam.Pool{Prefix: sn.Prefix, Range: sn.IPRange, Gateway: sn.Gateway}
		addr, err := e.net.ipam.Allocate(n.ID, pool, id, want)
		if err != nil {
			return fmt.Errorf("network %s: %w", n.Name, err)
		}
		p := netip.PrefixFrom(addr, sn.Prefix.Bits())
		if v4 && !en.IPv4.IsValid() {
			en.IPv4, en.Gateway = p, sn.Gateway
		} else if !v4 && !en.IPv6.IsValid() {
			en.IPv6, en.Gateway6 = p, sn.Gateway
		}
	}
	return nil
}

// dnsNames are the names a container answers to on a user network: its
// name, its short id, its aliases and its compose service.
func dnsNames(c *container.Container, req *mnet.EndpointSettings) []string {
	names := []string{c.Name, shortID(c.ID)}
	names = append(names, req.Aliases...)
	if c.Config != nil && c.Config.Labels[composeServiceLabel] != "" {
		names = append(names, c.Config.Labels[composeServiceLabel])
	}
	out := names[:0]
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// publish chooses the host ports, writes the endpoint file and brings the
// ruleset and the DNS records up to date under the state lock, then makes
// sure each user network's responder runs.
func (e *Engine) publish(st *endpointState, reqs []portRequest) error {
	return e.publishWith(st, func(eps []*endpointState) (err error) {
		st.Ports, err = e.resolvePorts(reqs, eps, st.ID)
		return err
	}, dnsNetworks(st))
}

// publishWith writes st after prepare (run under the state lock with
// every current endpoint), recomputes ruleset and the records of dnsNets,
// and starts the responders of the networks st has names on.
func (e *Engine) publishWith(st *endpointState, prepare func([]*endpointState) error, dnsNets []string) error {
	unlock, err := e.lockNetState()
	if err != nil {
		return err
	}
	eps, err := e.allEndpoints()
	if err == nil {
		err = prepare(eps)
	}
	if err == nil {
		err = e.writeEndpoint(st)
	}
	if err == nil {
		err = e.syncNetState(replaceEndpoint(eps, st), dnsNets)
	}
	unlock()
	if err != nil {
		return err
	}
	for _, id := range dnsNetworks(st) {
		if !slices.Contains(dnsNets, id) {
			continue
		}
		end := Span("net.dns-ensure")
		err := dns.Ensure(reexec.Self(), e.runroot, id)
		end()
		if err != nil {
			return err
		}
	}
	return nil
}

// replaceEndpoint is eps with st in place of its previous file, if any.
func replaceEndpoint(eps []*endpointState, st *endpointState) []*endpointState {
	out := make([]*endpointState, 0, len(eps)+1)
	for _, ep := range eps {
		if ep.ID != st.ID {
			out = append(out, ep)
		}
	}
	if st.Networks != nil {
		out = append(out, st)
	}
	return out
}

// dnsNetworks are the ids of the user networks of st (the ones with names).
func dnsNetworks(st *endpointState) []string {
	var ids []string
	for _, en := range st.Networks {
		if en.DNS {
			ids = append(ids, en.ID)
		}
	}
	return ids
}

// teardownEndpoint undoes attachNetworks, also when it stopped half way:
// addresses, endpoint file, ruleset, DNS records, netns, veths. extra are
// veth/network pairs known from the record only (a start that crashed
// before writing the endpoint file). Every step tolerates "already gone".
// In the monitor (the `run --rm` path) the veths are not deleted one by
// one: each deletion waits for RCU grace periods under RTNL (~10 ms); the
// namespace's end deletes them, batched, in the kernel's own cleanup, and
// a new pair of the same name deletes a dying one first (attachOne).
func (e *Engine) teardownEndpoint(st *endpointState, extra []endpointNet) {
	defer Span("net.teardown")()
	var errs []error
	nets := append(append([]endpointNet{}, st.Networks...), extra...)
	if !e.deferPurge {
		for _, en := range nets {
			if err := link.DeleteVeth(en.HostVeth); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := link.DeleteNetNS(st.NetNS); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	if e.net.ipam != nil {
		for _, en := range nets {
			if err := e.net.ipam.Release(en.ID, st.ID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
				errs = append(errs, err)
			}
		}
	}
	if err := e.unpublish(st.ID, nets); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		e.logf("container %s: network teardown: %v", shortID(st.ID), err)
	}
}

// unpublish removes the endpoint file and recomputes ruleset and records.
func (e *Engine) unpublish(id string, nets []endpointNet) error {
	unlock, err := e.lockNetState()
	if err != nil {
		return err
	}
	defer unlock()
	gone, _ := e.readEndpoint(id)
	if err := os.Remove(e.endpointPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if e.net.store == nil {
		return nil
	}
	eps, err := e.allEndpoints()
	if err != nil {
		return err
	}
	if gone != nil {
		e.releasePortClaims(gone.Ports, eps)
	}
	var ids []string
	for _, en := range nets {
		if en.DNS {
			ids = append(ids, en.ID)
		}
	}
	return e.syncNetState(eps, ids)
}
