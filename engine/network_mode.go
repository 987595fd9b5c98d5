package engine

import (
	"net/netip"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/network"
)

// validateNetworking checks --network and the endpoint options as docker's
// create does, records the requested endpoints in c.Networks (by network
// name) and returns docker's warnings. "" and "default" mean "bridge".
func (e *Engine) validateNetworking(c *container.Container, nc *mnet.NetworkingConfig) ([]string, error) {
	hc := c.HostConfig
	given := string(hc.NetworkMode)
	if given == "" || given == mnet.NetworkDefault {
		hc.NetworkMode = mnet.NetworkBridge
	}
	var eps map[string]*mnet.EndpointSettings
	if nc != nil {
		eps = nc.EndpointsConfig
	}
	if err := validateDNSOptions(hc); err != nil {
		return nil, err
	}
	if _, err := writeExtraHostsTo(hc.ExtraHosts); err != nil {
		return nil, err
	}
	mode := hc.NetworkMode
	switch {
	case mode.IsNone():
		return nil, nil
	case mode.IsHost():
		if len(hc.PortBindings) > 0 || hc.PublishAllPorts {
			return []string{"Published ports are discarded when using host network mode"}, nil
		}
		return nil, nil
	case mode.IsContainer():
		return nil, e.validateContainerMode(c)
	}
	if _, _, err := e.networks(); err != nil {
		return nil, err
	}
	primary := endpointFor(eps, given, string(mode))
	if err := e.requestEndpoint(c, string(mode), primary); err != nil {
		return nil, err
	}
	for key, es := range eps {
		if key == given || key == string(mode) || key == "" || key == mnet.NetworkDefault {
			continue
		}
		if err := e.requestEndpoint(c, key, es); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// endpointFor is the endpoint settings the CLI sent for the primary
// network (docker's CLI keys them by --network as typed).
func endpointFor(eps map[string]*mnet.EndpointSettings, keys ...string) *mnet.EndpointSettings {
	for _, k := range append(keys, mnet.NetworkDefault, "") {
		if es, ok := eps[k]; ok && es != nil {
			return es
		}
	}
	return nil
}

// requestEndpoint validates the settings for network ref and records them.
func (e *Engine) requestEndpoint(c *container.Container, ref string, es *mnet.EndpointSettings) error {
	n, err := e.net.store.Get(ref)
	if err != nil {
		return err
	}
	if n.Driver != network.DriverBridge {
		return classed(errdefs.ErrInvalid, "container cannot be connected to network %s: only bridge networks can be joined this way (use --network %s)", n.Name, n.Name)
	}
	req := &mnet.EndpointSettings{}
	if es != nil {
		req = es.Copy()
	}
	if err := checkEndpoint(n, req); err != nil {
		return err
	}
	if _, dup := c.Networks[n.Name]; dup {
		return nil
	}
	req.NetworkID = n.ID
	if c.Networks == nil {
		c.Networks = map[string]*mnet.EndpointSettings{}
	}
	c.Networks[n.Name] = req
	return nil
}

// checkEndpoint applies docker's rules: aliases and static addresses only
// on user-defined networks, and a static address inside one of its subnets.
func checkEndpoint(n *network.Network, es *mnet.EndpointSettings) error {
	user := !n.Predefined
	if len(es.Aliases) > 0 && !user {
		return classed(errdefs.ErrInvalid, "network-scoped alias is supported only for containers in user defined networks")
	}
	if es.IPAMConfig == nil {
		return nil
	}
	for _, a := range []netip.Addr{es.IPAMConfig.IPv4Address, es.IPAMConfig.IPv6Address} {
		if !a.IsValid() {
			continue
		}
		if !user {
			return classed(errdefs.ErrInvalid, "user specified IP address is supported on user defined networks only")
		}
		if subnetOf(n, a) == nil {
			return classed(errdefs.ErrInvalid, "no configured subnet or ip-range contain the IP address %s", a)
		}
	}
	return nil
}

// subnetOf is the subnet of n containing a, or nil.
func subnetOf(n *network.Network, a netip.Addr) *network.Subnet {
	for i := range n.Subnets {
		if n.Subnets[i].Prefix.Contains(a.Unmap()) || n.Subnets[i].Prefix.Contains(a) {
			return &n.Subnets[i]
		}
	}
	return nil
}

// validateContainerMode applies docker's conflicts for --network
// container:<ref> and checks that the container exists.
func (e *Engine) validateContainerMode(c *container.Container) error {
	hc, cfg := c.HostConfig, c.Config
	switch {
	case cfg.Hostname != "":
		return classed(errdefs.ErrInvalid, "conflicting options: hostname and the network mode")
	case len(hc.DNS) > 0 || len(hc.DNSSearch) > 0 || len(hc.DNSOptions) > 0:
		return classed(errdefs.ErrInvalid, "conflicting options: dns and the network mode")
	case len(hc.ExtraHosts) > 0:
		return classed(errdefs.ErrInvalid, "conflicting options: custom host-to-IP mapping and the network mode")
	case len(hc.PortBindings) > 0 || hc.PublishAllPorts:
		return classed(errdefs.ErrInvalid, "conflicting options: port publishing and the container type network mode")
	}
	ref := hc.NetworkMode.ConnectedContainer()
	if ref == "" {
		return classed(errdefs.ErrInvalid, "invalid network mode: %s", hc.NetworkMode)
	}
	if _, err := e.containers.Get(ref); err != nil {
		return err
	}
	return nil
}

// isBridgeMode reports whether c's network mode attaches bridge networks
// (bridge or a user network name), as opposed to none, host, container:.
func isBridgeMode(hc *ctypes.HostConfig) bool {
	if hc == nil {
		return false
	}
	m := hc.NetworkMode
	return !m.IsNone() && !m.IsHost() && !m.IsContainer() && !strings.HasPrefix(string(m), "ns:")
}
