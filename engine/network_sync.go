package engine

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/onggi/onggi/network"
	"github.com/onggi/onggi/network/dns"
	"github.com/onggi/onggi/network/nft"
)

// syncNetState recomputes, from every endpoint file, the nft ruleset and
// the DNS records of the networks in dnsNets (ids). Callers hold
// lockNetState. The ruleset is applied only when it differs from the one
// applied last (its hash is kept in the runroot, which a reboot wipes
// together with the table), so a start without published ports on a
// known network costs no netlink batch.
func (e *Engine) syncNetState(eps []*endpointState, dnsNets []string) error {
	nets, err := e.net.store.List()
	if err != nil {
		return err
	}
	var errs []error
	if err := e.applyRuleset(nets, eps); err != nil {
		errs = append(errs, err)
	}
	for _, id := range dnsToSync(eps, dnsNets) {
		if err := e.writeDNSRecords(nets, eps, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ruleset is the whole table of this instance: every bridge network and
// every published port. Networks stay in it while they exist, so a start
// or a stop without published ports leaves the table as it is: replacing
// the table re-registers its base chains' hooks, which costs the kernel
// RCU grace periods (~10 ms here), more than the rest of the start. With
// nothing left running the table is deleted by gcNetworks.
func (e *Engine) ruleset(nets []*network.Network, eps []*endpointState) nft.Ruleset {
	rs := nft.Ruleset{Table: e.nftTable()}
	for _, n := range nets {
		if n.Driver != network.DriverBridge || n.Bridge == "" {
			continue
		}
		nn := nft.Net{Bridge: n.Bridge, Internal: n.Internal}
		for _, sn := range n.Subnets {
			nn.Subnets = append(nn.Subnets, sn.Prefix)
		}
		rs.Networks = append(rs.Networks, nn)
	}
	for _, ep := range eps {
		rs.Ports = append(rs.Ports, nftPorts(ep)...)
	}
	return rs
}

// nftPorts are an endpoint's published ports as DNAT rules towards its
// primary interface (docker publishes on the gateway endpoint): an IPv4
// rule, and an IPv6 one when the interface has an IPv6 address and the
// binding is not restricted to an IPv4 host address.
func nftPorts(ep *endpointState) []nft.Port {
	if len(ep.Networks) == 0 {
		return nil
	}
	primary := ep.Networks[0]
	var out []nft.Port
	for _, p := range ep.Ports {
		v4 := !p.HostIP.IsValid() || p.HostIP.Unmap().Is4()
		v6 := !p.HostIP.IsValid() || (p.HostIP.Is6() && !p.HostIP.Is4In6())
		if v4 && primary.IPv4.IsValid() {
			out = append(out, nft.Port{Proto: p.Proto, HostIP: p.HostIP.Unmap(), HostPort: p.HostPort,
				ContainerIP: primary.IPv4.Addr(), ContainerPort: p.ContainerPort})
		}
		if v6 && primary.IPv6.IsValid() {
			out = append(out, nft.Port{Proto: p.Proto, HostIP: p.HostIP, HostPort: p.HostPort,
				ContainerIP: primary.IPv6.Addr(), ContainerPort: p.ContainerPort})
		}
	}
	return out
}

func (e *Engine) applyRuleset(nets []*network.Network, eps []*endpointState) error {
	rs := e.ruleset(nets, eps)
	sort.Slice(rs.Ports, func(i, j int) bool { return portKey(rs.Ports[i]) < portKey(rs.Ports[j]) })
	b, _ := json.Marshal(rs)
	sum := sha256hex(string(b))
	mark := filepath.Join(e.netRunDir(), "nft.applied")
	if old, err := os.ReadFile(mark); err == nil && string(old) == sum {
		return nil
	}
	end := Span("net.nft-apply")
	err := nft.Apply(rs)
	end()
	if err != nil {
		_ = os.Remove(mark)
		return err
	}
	return os.WriteFile(mark, []byte(sum), 0o600)
}

func portKey(p nft.Port) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// dnsToSync is every user network with an endpoint (a change on one
// network can change another's records, see dnsNames) plus the given ones
// (which may just have lost their last endpoint).
func dnsToSync(eps []*endpointState, given []string) []string {
	out := slices.Clone(given)
	for _, ep := range eps {
		for _, en := range ep.Networks {
			if en.DNS && !slices.Contains(out, en.ID) {
				out = append(out, en.ID)
			}
		}
	}
	return out
}

// dnsNamesOn maps the names of the endpoints on network netID to their
// addresses there.
func dnsNamesOn(eps []*endpointState, netID string) map[string][]string {
	names := map[string][]string{}
	for _, ep := range eps {
		for _, en := range ep.Networks {
			if en.ID != netID || !en.DNS {
				continue
			}
			for _, name := range en.DNSNames {
				key := strings.ToLower(name)
				for _, a := range []netip.Prefix{en.IPv4, en.IPv6} {
					if a.IsValid() && !slices.Contains(names[key], a.Addr().String()) {
						names[key] = append(names[key], a.Addr().String())
					}
				}
			}
		}
	}
	return names
}

// dnsRecordNames are the names network netID's responder answers: those
// of its endpoints, then those of every network one of its members is
// also on. Docker's resolver answers a container with the names of all
// its networks; a responder per network cannot tell which member asks,
// so a name of a linked network is visible to the whole network (it
// resolves, it is not reachable: the firewall still isolates). A name
// present on the network itself always wins.
func dnsRecordNames(eps []*endpointState, netID string) map[string][]string {
	names := dnsNamesOn(eps, netID)
	if len(names) == 0 {
		return names
	}
	linked := map[string]bool{netID: true}
	for _, ep := range eps {
		if !ep.onNetwork(netID) {
			continue
		}
		for _, en := range ep.Networks {
			if en.DNS && !linked[en.ID] {
				linked[en.ID] = true
				for name, addrs := range dnsNamesOn(eps, en.ID) {
					if _, own := names[name]; !own {
						names[name] = addrs
					}
				}
			}
		}
	}
	return names
}

// writeDNSRecords rewrites network netID's records from the endpoints (only
// when they change, so responders reload only then); with no names left
// the file is removed and the responder exits.
func (e *Engine) writeDNSRecords(nets []*network.Network, eps []*endpointState, netID string) error {
	var n *network.Network
	for _, x := range nets {
		if x.ID == netID {
			n = x
		}
	}
	names := dnsRecordNames(eps, netID)
	path := dns.RecordsPath(e.runroot, netID)
	if n == nil || len(names) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	r := dns.Records{Names: names}
	for _, sn := range n.Subnets {
		if sn.Gateway.IsValid() {
			r.Listen = append(r.Listen, sn.Gateway.String())
		}
		r.Subnets = append(r.Subnets, sn.Prefix.String())
	}
	if old, err := dns.ReadRecords(path); err == nil && reflect.DeepEqual(old, r) {
		return nil
	}
	return dns.WriteRecords(e.runroot, netID, r)
}
