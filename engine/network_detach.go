package engine

import (
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"

	mnet "github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/network/link"
)

// detachNetworks tears c's networking down for good (the run ended, its
// monitor died, it is removed, or its start failed). It is idempotent and
// works from whatever is left: the endpoint file when the start got that
// far, else the names derived from the record (veths are named after
// container and network), so a start killed half way leaves nothing
// behind either. A container that never had networking costs two lstats.
func (e *Engine) detachNetworks(c *container.Container) {
	if !e.deferPurge {
		// Outside the monitor, wait for nothing: a pair the monitor left
		// to the kernel's namespace cleanup is deleted now.
		for _, es := range c.Networks {
			if es != nil && es.NetworkID != "" {
				_ = link.DeleteVeth(vethName(c.ID, es.NetworkID))
			}
		}
	}
	st, err := e.readEndpoint(c.ID)
	_, nsErr := os.Lstat(e.netnsPath(c.ID))
	if err != nil && errors.Is(nsErr, fs.ErrNotExist) && !e.mayHoldAddresses(c) {
		return
	}
	if err != nil {
		st = &endpointState{ID: c.ID, NetNS: e.netnsPath(c.ID)}
	}
	if _, _, err := e.openNetworks(); err != nil {
		e.logf("container %s: network teardown: %v", shortID(c.ID), err)
	}
	if e.deferPurge {
		defer e.scheduleGC() // gcNetworks checks that nothing else runs
	}
	var extra []endpointNet
	for name, es := range c.Networks {
		if es == nil || es.NetworkID == "" || st.network(name) != nil {
			continue
		}
		extra = append(extra, endpointNet{Name: name, ID: es.NetworkID, HostVeth: vethName(c.ID, es.NetworkID)})
	}
	e.teardownEndpoint(st, extra)
}

// mayHoldAddresses reports whether c's record says it ran with addresses
// that an endpoint file no longer describes: after a reboot the runroot
// is gone but the allocations (under the root) are not.
func (e *Engine) mayHoldAddresses(c *container.Container) bool {
	for _, es := range c.Networks {
		if es != nil && (es.IPAddress.IsValid() || es.GlobalIPv6Address.IsValid()) {
			return true
		}
	}
	return false
}

var zeroAddr netip.Addr

// clearLiveNetwork drops the run's live endpoint data from the record
// (called in the Update that records the end of a run): what was asked
// (aliases, --ip, a --mac-address) stays for the next start.
func clearLiveNetwork(c *container.Container) {
	c.Ports = nil
	for _, es := range c.Networks {
		if es == nil {
			continue
		}
		if es.IPAddress.IsValid() && net.HardwareAddr(es.MacAddress).String() == link.GenerateMAC(es.IPAddress).String() {
			es.MacAddress = nil // generated, not asked for
		}
		es.EndpointID, es.DNSNames = "", nil
		es.IPAddress, es.Gateway, es.IPPrefixLen = zeroAddr, zeroAddr, 0
		es.GlobalIPv6Address, es.IPv6Gateway, es.GlobalIPv6PrefixLen = zeroAddr, zeroAddr, 0
	}
}

// recordEndpoint copies the endpoint file of a run that just started into
// the record (the Started hook's Update: no extra record write).
func (e *Engine) recordEndpoint(c *container.Container) {
	if !isBridgeMode(c.HostConfig) {
		return
	}
	st, err := e.readEndpoint(c.ID)
	if err != nil {
		return
	}
	applyEndpoint(c, st)
}

func applyEndpoint(c *container.Container, st *endpointState) {
	if c.Networks == nil {
		c.Networks = map[string]*mnet.EndpointSettings{}
	}
	for _, en := range st.Networks {
		es := c.Networks[en.Name]
		if es == nil {
			es = &mnet.EndpointSettings{}
			c.Networks[en.Name] = es
		}
		es.NetworkID, es.EndpointID = en.ID, sha256hex(st.ID+en.ID)
		es.Gateway, es.IPv6Gateway = en.Gateway, en.Gateway6
		es.IPAddress, es.IPPrefixLen = en.IPv4.Addr(), en.IPv4.Bits()
		es.GlobalIPv6Address, es.GlobalIPv6PrefixLen = en.IPv6.Addr(), en.IPv6.Bits()
		if !en.IPv4.IsValid() {
			es.IPPrefixLen = 0
		}
		if !en.IPv6.IsValid() {
			es.GlobalIPv6PrefixLen = 0
		}
		if mac, err := net.ParseMAC(en.MAC); err == nil {
			es.MacAddress = mnet.HardwareAddr(mac)
		}
		es.DNSNames = en.DNSNames
	}
	c.Ports = portMap(st.Ports, len(st.Networks) > 0 && st.Networks[0].IPv6.IsValid())
}

// clearStaleNetwork clears live endpoint data a record still carries after
// its run ended for good (a restart the monitor cancelled).
func (e *Engine) clearStaleNetwork(c *container.Container) {
	if c.Ports == nil && !e.mayHoldAddresses(c) {
		return
	}
	_, _ = e.containers.Update(c.ID, func(c *container.Container) error {
		if c.Running() {
			return errNoRestart // a new run owns the fields now
		}
		clearLiveNetwork(c)
		return nil
	})
}
