package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"sync"

	"github.com/onggi/onggi/network"
	"github.com/onggi/onggi/network/ipam"
	"github.com/onggi/onggi/network/link"
	"github.com/vishvananda/netlink"
)

// dnsName is argv[0] of the re-executed per-network DNS responder.
const dnsName = "onggi-dns"

// netState is the engine's networking state. It is opened on first use:
// a container without networking (none, host) never reads it.
type netState struct {
	openOnce sync.Once
	openErr  error
	store    *network.Store
	ipam     *ipam.Allocator
	tag      string // network.InstanceTag(root)
	// predefOnce/predefErr: the predefined networks were ensured.
	predefOnce sync.Once
	predefErr  error
}

// networks opens the network store and the allocator and makes sure the
// predefined networks (bridge, host, none) exist.
func (e *Engine) networks() (*network.Store, *ipam.Allocator, error) {
	store, alloc, err := e.openNetworks()
	if err != nil {
		return nil, nil, err
	}
	e.net.predefOnce.Do(func() { e.net.predefErr = e.ensurePredefined() })
	return store, alloc, e.net.predefErr
}

// openNetworks opens the network store and the allocator only: teardown
// and cleanup use it, and must not create the predefined networks (nor
// their bridge) in an instance that never had any.
func (e *Engine) openNetworks() (*network.Store, *ipam.Allocator, error) {
	n := &e.net
	n.openOnce.Do(func() {
		defer Span("net.open")()
		n.tag = network.InstanceTag(e.root)
		dir := filepath.Join(e.root, "networks")
		if n.store, n.openErr = network.Open(dir); n.openErr != nil {
			return
		}
		n.ipam, n.openErr = ipam.Open(filepath.Join(dir, "ipam"))
	})
	return n.store, n.ipam, n.openErr
}

// ensurePredefined creates bridge, host and none. The default bridge's
// subnet is picked under the host-wide subnet lock, avoiding the host's
// routes and every network this root knows; its interface is created in
// the same critical section so another root picking next sees its route.
func (e *Engine) ensurePredefined() error {
	s := e.net.store
	if havePredefined(s) {
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
	return e.ensureBridge(br)
}

// havePredefined reports whether bridge, host and none all exist.
func havePredefined(s *network.Store) bool {
	all, err := s.List()
	if err != nil {
		return false
	}
	found := 0
	for _, n := range all {
		if n.Predefined && network.IsPredefinedName(n.Name) {
			found++
		}
	}
	return found == 3
}

// pickSubnet picks a free /24 for a new network; callers hold SubnetLock.
func (e *Engine) pickSubnet() (netip.Prefix, error) {
	var avoid []netip.Prefix
	err := retryDump(func() (err error) {
		avoid, err = link.HostRoutes()
		return err
	})
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
	avoid = append(avoid, e.claimedSubnets()...)
	return network.PickSubnet(avoid)
}

// ensureBridge creates (or completes, after a reboot) a bridge network's
// interface with its gateway addresses, once its subnets are claimed for
// this instance (see claimSubnets).
func (e *Engine) ensureBridge(n *network.Network) error {
	if n.Driver != network.DriverBridge || n.Bridge == "" {
		return nil
	}
	if err := e.claimSubnets(n); err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	b := link.Bridge{Name: n.Bridge, MTU: n.MTU}
	for _, sn := range n.Subnets {
		if sn.Gateway.IsValid() {
			b.Addrs = append(b.Addrs, netip.PrefixFrom(sn.Gateway, sn.Prefix.Bits()))
		}
	}
	if err := retryDump(func() error { return link.EnsureBridge(b) }); err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	return nil
}

// retryDump retries a netlink operation whose dump the kernel interrupted
// (NLM_F_DUMP_INTR: the list changed while it was read, as it does while
// parallel starts add veths and their link-local addresses).
func retryDump(fn func() error) error {
	var err error
	for try := 0; try < 5; try++ {
		if err = fn(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return err
		}
	}
	return err
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
