package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"path/filepath"
	"sync"

	"github.com/onggi/onggi/network"
	"github.com/onggi/onggi/network/ipam"
	"github.com/onggi/onggi/network/link"
)

// dnsName is argv[0] of the re-executed per-network DNS responder.
const dnsName = "onggi-dns"

// netState is the engine's networking state. It is opened on first use:
// a container without networking (none, host) never reads it.
type netState struct {
	once  sync.Once
	err   error
	store *network.Store
	ipam  *ipam.Allocator
	tag   string // network.InstanceTag(root)
	// predefined is set once the predefined networks are known to exist.
	predefined bool
}

// networks opens the network store and the allocator and makes sure the
// predefined networks (bridge, host, none) exist.
func (e *Engine) networks() (*network.Store, *ipam.Allocator, error) {
	n := &e.net
	n.once.Do(func() {
		defer Span("net.open")()
		n.tag = network.InstanceTag(e.root)
		dir := filepath.Join(e.root, "networks")
		if n.store, n.err = network.Open(dir); n.err != nil {
			return
		}
		if n.ipam, n.err = ipam.Open(filepath.Join(dir, "ipam")); n.err != nil {
			return
		}
		n.err = e.ensurePredefined()
	})
	return n.store, n.ipam, n.err
}

// ensurePredefined creates bridge, host and none. The default bridge's
// subnet is picked under the host-wide subnet lock, avoiding the host's
// routes and every network this root knows; its interface is created in
// the same critical section so another root picking next sees its route.
func (e *Engine) ensurePredefined() error {
	s := e.net.store
	if _, err := s.Get(network.NameBridge); err == nil {
		return nil // fast path: no lock
	}
	unlock, err := network.SubnetLock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.EnsurePredefined(e.net.tag, e.pickSubnet); err != nil {
		return err
	}
	br, err := s.Get(network.NameBridge)
	if err != nil {
		return err
	}
	return ensureBridge(br)
}

// pickSubnet picks a free /24 for a new network; callers hold SubnetLock.
func (e *Engine) pickSubnet() (netip.Prefix, error) {
	avoid, err := link.HostRoutes()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("reading host routes: %w", err)
	}
	all, err := e.net.store.List()
	if err != nil {
		return netip.Prefix{}, err
	}
	for _, n := range all {
		for _, sn := range n.Subnets {
			avoid = append(avoid, sn.Prefix)
		}
	}
	return network.PickSubnet(avoid)
}

// ensureBridge creates (or completes, after a reboot) a bridge network's
// interface with its gateway addresses.
func ensureBridge(n *network.Network) error {
	if n.Driver != network.DriverBridge || n.Bridge == "" {
		return nil
	}
	b := link.Bridge{Name: n.Bridge, MTU: n.MTU}
	for _, sn := range n.Subnets {
		if sn.Gateway.IsValid() {
			b.Addrs = append(b.Addrs, netip.PrefixFrom(sn.Gateway, sn.Prefix.Bits()))
		}
	}
	if err := link.EnsureBridge(b); err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	return nil
}

// nftTable is this instance's nftables table.
func (e *Engine) nftTable() string {
	if e.net.tag == "" {
		return "onggi"
	}
	return "onggi-" + e.net.tag
}

// netnsPath is a container's bind-mounted network namespace.
func (e *Engine) netnsPath(id string) string { return filepath.Join(e.runroot, "netns", id) }

// netRunDir holds the runtime networking state (endpoints, dns, nft lock).
func (e *Engine) netRunDir() string { return filepath.Join(e.runroot, "network") }

// endpointPath is a running container's endpoint state file.
func (e *Engine) endpointPath(id string) string {
	return filepath.Join(e.netRunDir(), "endpoints", id+".json")
}

// vethName is the host end of a container's veth on a network: the same
// for a (container, network) pair in every process, so a teardown after
// a crash finds it without any state.
func vethName(containerID, networkID string) string {
	return "veth" + sha256hex(containerID + networkID)[:7]
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
