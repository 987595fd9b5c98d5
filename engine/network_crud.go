package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	mnet "github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/network"
	"github.com/onggi/onggi/network/dns"
	"github.com/onggi/onggi/network/link"
)

func (e *Engine) createNetwork(ctx context.Context, name string, req mnet.CreateRequest) (mnet.CreateResponse, error) {
	defer Span("network.create")()
	store, _, err := e.networks()
	if err != nil {
		return mnet.CreateResponse{}, err
	}
	if name == "" {
		name = req.Name
	}
	n, err := networkFromRequest(name, req)
	if err != nil {
		return mnet.CreateResponse{}, err
	}
	unlock, err := network.SubnetLock()
	if err != nil {
		return mnet.CreateResponse{}, err
	}
	defer unlock()
	if err := e.completeSubnets(n, req); err != nil {
		return mnet.CreateResponse{}, err
	}
	if err := store.Create(n); err != nil {
		return mnet.CreateResponse{}, err
	}
	// docker creates the bridge with the network; so does onggi, under the
	// subnet lock, so that a root picking next sees its route.
	if err := e.ensureBridge(n); err != nil {
		_ = store.Remove(n.ID)
		return mnet.CreateResponse{}, err
	}
	return mnet.CreateResponse{ID: n.ID}, nil
}

// networkFromRequest checks a create request as docker does and turns it
// into a record (subnets still to be completed).
func networkFromRequest(name string, req mnet.CreateRequest) (*network.Network, error) {
	switch req.Driver {
	case "", network.DriverBridge:
	case network.DriverHost, network.DriverNull:
		return nil, classed(errdefs.ErrInvalid, "only one instance of \"%s\" network is allowed", req.Driver)
	default:
		return nil, classed(errdefs.ErrNotFound, "plugin \"%s\" not found", req.Driver)
	}
	if req.ConfigOnly || req.ConfigFrom != nil || req.Ingress || req.Scope == "swarm" {
		return nil, classed(errdefs.ErrInvalid, "config-only, config-from, ingress and swarm networks are not supported")
	}
	if req.IPAM != nil && req.IPAM.Driver != "" && req.IPAM.Driver != "default" {
		return nil, classed(errdefs.ErrNotFound, "plugin \"%s\" not found", req.IPAM.Driver)
	}
	n := &network.Network{
		Name: name, Driver: network.DriverBridge, Internal: req.Internal,
		EnableIPv6: req.EnableIPv6 != nil && *req.EnableIPv6,
		Labels:     req.Labels, Options: req.Options,
	}
	if v := req.Options[network.OptMTU]; v != "" {
		mtu, err := strconv.Atoi(v)
		if err != nil || mtu < 68 || mtu > 65535 {
			return nil, classed(errdefs.ErrInvalid, "invalid MTU %q: must be between 68 and 65535", v)
		}
		n.MTU = mtu
	}
	if req.IPAM == nil {
		return n, nil
	}
	var subs, gws, ranges []string
	for _, c := range req.IPAM.Config {
		if !c.Subnet.IsValid() {
			return nil, classed(errdefs.ErrInvalid, "every ip-range or gateway must have a corresponding subnet")
		}
		subs = append(subs, c.Subnet.String())
		if c.Gateway.IsValid() {
			gws = append(gws, c.Gateway.String())
		}
		if c.IPRange.IsValid() {
			ranges = append(ranges, c.IPRange.String())
		}
	}
	parsed, err := network.ParseSubnets(subs, gws, ranges)
	if err != nil {
		return nil, err
	}
	n.Subnets = parsed
	for _, s := range parsed {
		if s.Prefix.Addr().Is6() && !n.EnableIPv6 {
			n.EnableIPv6 = true // docker ≥ 27 infers --ipv6 from an IPv6 subnet
		}
	}
	return n, nil
}

// completeSubnets picks an IPv4 subnet when none was given (unless IPv4
// is disabled) and a ULA IPv6 one for --ipv6 without an IPv6 subnet.
// Callers hold the subnet lock.
func (e *Engine) completeSubnets(n *network.Network, req mnet.CreateRequest) error {
	has4, has6 := false, false
	for _, s := range n.Subnets {
		has4 = has4 || s.Prefix.Addr().Is4()
		has6 = has6 || s.Prefix.Addr().Is6()
	}
	if !has4 && (req.EnableIPv4 == nil || *req.EnableIPv4) {
		p, err := e.pickSubnet()
		if err != nil {
			return err
		}
		n.Subnets = append(n.Subnets, network.Subnet{Prefix: p, Gateway: network.DefaultGateway(p)})
	}
	if n.EnableIPv6 && !has6 {
		p := network.ULASubnet(n.Name + time.Now().String())
		n.Subnets = append(n.Subnets, network.Subnet{Prefix: p, Gateway: network.DefaultGateway(p)})
	}
	if len(n.Subnets) == 0 {
		return classed(errdefs.ErrInvalid, "a network needs IPv4 or IPv6 enabled")
	}
	return nil
}

func (e *Engine) inspectNetwork(ctx context.Context, ref string) (mnet.Inspect, error) {
	store, _, err := e.networks()
	if err != nil {
		return mnet.Inspect{}, err
	}
	n, err := store.Get(ref)
	if err != nil {
		return mnet.Inspect{}, err
	}
	out := mnet.Inspect{Network: mobyNetwork(n), Containers: map[string]mnet.EndpointResource{}}
	eps, _ := e.allEndpoints()
	for _, ep := range eps {
		for _, en := range ep.Networks {
			if en.ID != n.ID {
				continue
			}
			r := mnet.EndpointResource{
				Name: ep.Name, EndpointID: sha256hex(ep.ID + en.ID),
				IPv4Address: en.IPv4, IPv6Address: en.IPv6,
			}
			if mac, err := parseMAC(en.MAC); err == nil {
				r.MacAddress = mac
			}
			out.Containers[ep.ID] = r
		}
	}
	return out, nil
}

// mobyNetwork is a record in docker's shape.
func mobyNetwork(n *network.Network) mnet.Network {
	m := mnet.Network{
		Name: n.Name, ID: n.ID, Created: n.Created, Scope: "local", Driver: n.Driver,
		EnableIPv6: n.EnableIPv6, Internal: n.Internal,
		IPAM:    mnet.IPAM{Driver: "default", Options: map[string]string{}, Config: []mnet.IPAMConfig{}},
		Options: nonNilMap(n.Options), Labels: nonNilMap(n.Labels),
	}
	for _, s := range n.Subnets {
		m.EnableIPv4 = m.EnableIPv4 || s.Prefix.Addr().Is4()
		m.IPAM.Config = append(m.IPAM.Config, mnet.IPAMConfig{Subnet: s.Prefix, IPRange: s.IPRange, Gateway: s.Gateway})
	}
	if n.Driver != network.DriverBridge {
		m.EnableIPv4 = true // docker reports host and none so
	}
	return m
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (e *Engine) removeNetwork(ctx context.Context, ref string) error {
	defer Span("network.rm")()
	store, _, err := e.networks()
	if err != nil {
		return err
	}
	n, err := store.Get(ref)
	if err != nil {
		return err
	}
	unlock, err := e.lockNetState()
	if err != nil {
		return err
	}
	defer unlock()
	eps, err := e.allEndpoints()
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if !n.Predefined && ep.onNetwork(n.ID) {
			return classed(errdefs.ErrInUse, "error while removing network: network %s has active endpoints (name:%q id:%q)", n.Name, ep.Name, shortID(ep.ID))
		}
	}
	return e.deleteNetwork(n, eps)
}

// onNetwork reports whether the endpoint has an interface on network id.
func (s *endpointState) onNetwork(id string) bool {
	for _, en := range s.Networks {
		if en.ID == id {
			return true
		}
	}
	return false
}

// deleteNetwork removes an unused network: record, bridge, addresses, DNS
// responder, and its rules. Callers hold the state lock.
func (e *Engine) deleteNetwork(n *network.Network, eps []*endpointState) error {
	if err := e.net.store.Remove(n.ID); err != nil {
		return err
	}
	e.releaseSubnets(n)
	var errs []error
	if err := link.DeleteBridge(n.Bridge); err != nil && n.Bridge != "" {
		errs = append(errs, err)
	}
	if err := e.net.ipam.ReleaseNetwork(n.ID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		errs = append(errs, err)
	}
	if err := dns.Stop(e.runroot, n.ID); err != nil {
		errs = append(errs, err)
	}
	if err := e.syncNetState(eps, nil); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("removing network %s: %w", n.Name, err)
	}
	return nil
}

func (e *Engine) pruneNetworks(ctx context.Context, filters map[string][]string) ([]string, error) {
	defer Span("network.prune")()
	store, _, err := e.networks()
	if err != nil {
		return nil, err
	}
	m, err := newNetFilter(filters, pruneFilterKeys)
	if err != nil {
		return nil, err
	}
	all, err := store.List()
	if err != nil {
		return nil, err
	}
	unlock, err := e.lockNetState()
	if err != nil {
		return nil, err
	}
	defer unlock()
	eps, err := e.allEndpoints()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, n := range all {
		if n.Predefined || !m.match(n, eps) || usedBy(n.ID, eps) {
			continue
		}
		if err := e.deleteNetwork(n, eps); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, n.Name)
	}
	return removed, errors.Join(errs...)
}

func usedBy(id string, eps []*endpointState) bool {
	for _, ep := range eps {
		if ep.onNetwork(id) {
			return true
		}
	}
	return false
}

func parseMAC(s string) (mnet.HardwareAddr, error) {
	var m mnet.HardwareAddr
	err := m.UnmarshalText([]byte(s))
	return m, err
}
