package engine

import (
	"context"
	"errors"
	"fmt"

	mnet "github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/network"
	"github.com/onggi/onggi/network/link"
)

// errAlready aborts a record Update that has nothing to change.
var errAlready = errors.New("already in that state")

func (e *Engine) connectNetwork(ctx context.Context, netRef, cref string, es *mnet.EndpointSettings) error {
	defer Span("network.connect")()
	store, _, err := e.networks()
	if err != nil {
		return err
	}
	c, err := e.getContainer(ctx, cref)
	if err != nil {
		return err
	}
	n, err := store.Get(netRef)
	if err != nil {
		return err
	}
	if err := connectable(c, n); err != nil {
		return err
	}
	req := &mnet.EndpointSettings{}
	if es != nil {
		req = es.Copy()
	}
	if err := checkEndpoint(n, req); err != nil {
		return err
	}
	req.NetworkID = n.ID
	c, err = e.containers.Update(c.ID, func(c *container.Container) error {
		if _, ok := c.Networks[n.Name]; ok {
			return classed(errdefs.ErrConflict, "endpoint with name %s already exists in network %s", c.Name, n.Name)
		}
		if c.Networks == nil {
			c.Networks = map[string]*mnet.EndpointSettings{}
		}
		c.Networks[n.Name] = req
		return nil
	})
	if err != nil || !c.Running() {
		return err // a stopped container joins at its next start
	}
	if err := e.connectLive(c, attachment{n: n, req: req}); err != nil {
		_, _ = e.containers.Update(c.ID, func(c *container.Container) error {
			delete(c.Networks, n.Name)
			return nil
		})
		return err
	}
	return nil
}

// connectable applies docker's rules on who may join a bridge network.
func connectable(c *container.Container, n *network.Network) error {
	mode := c.HostConfig.NetworkMode
	switch {
	case n.Driver == network.DriverHost || n.Driver == network.DriverNull:
		return classed(errdefs.ErrInvalid, "container cannot be disconnected from host network or connected to host network")
	case mode.IsContainer() || mode.IsHost():
		return classed(errdefs.ErrInvalid, "Container sharing network namespace with another container or host cannot be connected to any other network")
	case mode.IsNone():
		return classed(errdefs.ErrInvalid, "container cannot be connected to multiple networks with one of the networks in private (none) mode")
	}
	return nil
}

// connectLive adds an interface to a running container: the next free
// ethN in its netns, an address, the DNS records; then the record.
func (e *Engine) connectLive(c *container.Container, a attachment) (retErr error) {
	st, err := e.readEndpoint(c.ID)
	if err != nil {
		return classed(errdefs.ErrConflict, "container %s: no network namespace to connect (started before networking?): %v", c.Name, err)
	}
	var ifName string
	err = retryDump(func() (err error) {
		ifName, err = link.NextIfName(st.NetNS)
		return err
	})
	if err != nil {
		return err
	}
	gw := true
	for _, en := range st.Networks {
		gw = gw && !en.Default
	}
	en, err := e.attachOne(c, st.NetNS, a, ifName, gw)
	if err != nil {
		e.teardownOne(st.ID, en)
		return err
	}
	st.Networks = append(st.Networks, en)
	if err := e.storeEndpoint(st, []string{en.ID}); err != nil {
		e.teardownOne(st.ID, en)
		return err
	}
	if c.Config != nil {
		if err := updateHostsFile(e.containers.Dir(c.ID), c.Config, en, true); err != nil {
			e.logf("container %s: /etc/hosts: %v", shortID(c.ID), err)
		}
	}
	_, err = e.containers.Update(c.ID, func(c *container.Container) error {
		applyEndpoint(c, st)
		return nil
	})
	return err
}

// storeEndpoint writes st and brings ruleset and DNS up to date; the
// responders of dnsNets are started when st has names there.
func (e *Engine) storeEndpoint(st *endpointState, dnsNets []string) error {
	return e.publishWith(st, func([]*endpointState) error { return nil }, dnsNets)
}

// teardownOne undoes attachOne for one interface (connect's failure path
// and disconnect).
func (e *Engine) teardownOne(id string, en endpointNet) {
	var errs []error
	if err := link.DeleteVeth(en.HostVeth); err != nil {
		errs = append(errs, err)
	}
	if en.Allocated {
		if err := e.net.ipam.Release(en.ID, id); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		e.logf("container %s: network %s teardown: %v", shortID(id), en.Name, err)
	}
}

func (e *Engine) disconnectNetwork(ctx context.Context, netRef, cref string, force bool) error {
	defer Span("network.disconnect")()
	store, _, err := e.networks()
	if err != nil {
		return err
	}
	c, err := e.getContainer(ctx, cref)
	if err != nil {
		return err
	}
	name := netRef
	if n, err := store.Get(netRef); err == nil {
		if n.Driver != network.DriverBridge {
			return classed(errdefs.ErrInvalid, "container cannot be disconnected from host network or connected to host network")
		}
		name = n.Name
	} else if !force {
		return err
	}
	if _, ok := c.Networks[name]; !ok {
		if force {
			return nil
		}
		return classed(errdefs.ErrNotFound, "container %s is not connected to network %s", c.Name, netRef)
	}
	if c.Running() {
		if err := e.disconnectLive(c, name); err != nil {
			return err
		}
	}
	_, err = e.containers.Update(c.ID, func(c *container.Container) error {
		if _, ok := c.Networks[name]; !ok {
			return errAlready
		}
		delete(c.Networks, name)
		return nil
	})
	if errors.Is(err, errAlready) {
		return nil
	}
	return err
}

// disconnectLive removes the interface of a running container.
func (e *Engine) disconnectLive(c *container.Container, name string) error {
	st, err := e.readEndpoint(c.ID)
	if err != nil {
		return nil // nothing live to undo
	}
	en := st.network(name)
	if en == nil {
		return nil
	}
	if err := link.DeleteLinkInNetNS(st.NetNS, en.IfName); err != nil {
		return fmt.Errorf("disconnecting from network %s: %w", name, err)
	}
	e.teardownOne(st.ID, *en)
	gone := *en
	if c.Config != nil {
		if err := updateHostsFile(e.containers.Dir(c.ID), c.Config, gone, false); err != nil {
			e.logf("container %s: /etc/hosts: %v", shortID(c.ID), err)
		}
	}
	kept := st.Networks[:0]
	for _, x := range st.Networks {
		if x.Name != name {
			kept = append(kept, x)
		}
	}
	st.Networks = kept
	var dnsNets []string
	if gone.DNS {
		dnsNets = []string{gone.ID}
	}
	return e.storeEndpoint(st, dnsNets)
}

// renameEndpoint follows a rename in a running container's DNS names, as
// docker's resolver does: the old name stops resolving, the new one
// starts. A container without an endpoint file has nothing to update.
// (renameContainer calls it after the record is renamed.)
func (e *Engine) renameEndpoint(id, oldName, newName string) error {
	st, err := e.readEndpoint(id)
	if err != nil {
		return nil
	}
	if _, _, err := e.openNetworks(); err != nil {
		return err
	}
	st.Name = newName
	for i := range st.Networks {
		for j, n := range st.Networks[i].DNSNames {
			if n == oldName {
				st.Networks[i].DNSNames[j] = newName
			}
		}
	}
	return e.storeEndpoint(st, dnsNetworks(st))
}
