package ipam

import (
	"fmt"
	"net/netip"
	"os"
)

// Pool is one subnet of a network. Dynamic picks come from Range when it
// is valid (docker's --ip-range), else from Prefix; an address asked for
// explicitly may be anywhere in Prefix, as docker allows --ip outside
// --ip-range. Gateway is never handed out.
type Pool struct {
	Prefix, Range netip.Prefix
	Gateway       netip.Addr
}

// Allocator is the address table of every network, one file each.
type Allocator struct {
	dir string
}

// Open returns the allocator over dir, creating it if needed.
func Open(dir string) (*Allocator, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opening ipam: %w", err)
	}
	return &Allocator{dir: dir}, nil
}

// Allocate gives owner an address of pool's family in network netID and
// records it. It is idempotent per (netID, owner, family): an owner that
// already holds an address of that family gets it back (asking for a
// different want then is ErrConflict). A valid want is taken as is when
// free: outside Prefix, the network or broadcast address is ErrInvalid;
// the gateway or another owner's address is ErrInUse. Without want,
// addresses are handed out in order from the last one allocated, so an
// address just released is not reused at once; none free is
// ErrUnavailable.
func (a *Allocator) Allocate(netID string, pool Pool, owner string, want netip.Addr) (netip.Addr, error) {
	if err := checkPool(pool); err != nil {
		return netip.Addr{}, err
	}
	var got netip.Addr
	err := a.modify(netID, func(t *table) (bool, error) {
		before := len(t.Addrs)
		var err error
		got, err = t.allocate(pool, owner, want.Unmap())
		return len(t.Addrs) != before, err
	})
	if err != nil {
		return netip.Addr{}, fmt.Errorf("allocating address on network %s: %w", short(netID), err)
	}
	return got, nil
}

// Release frees every address owner holds in network netID. Releasing
// nothing is not an error.
func (a *Allocator) Release(netID, owner string) error {
	err := a.modify(netID, func(t *table) (bool, error) {
		return t.release(owner), nil
	})
	if err != nil {
		return fmt.Errorf("releasing addresses on network %s: %w", short(netID), err)
	}
	return nil
}

// ReleaseOwner frees owner's addresses in every network (container
// removal, or cleanup after a crash).
func (a *Allocator) ReleaseOwner(owner string) error {
	ids, err := a.networks()
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := a.Release(id, owner); err != nil {
			return err
		}
	}
	return nil
}

// ReleaseNetwork forgets network netID's table (network removal).
func (a *Allocator) ReleaseNetwork(netID string) error {
	if err := a.remove(netID); err != nil {
		return fmt.Errorf("releasing network %s: %w", short(netID), err)
	}
	return nil
}

// Owners returns the addresses allocated on network netID and who holds
// each; an unknown network has none.
func (a *Allocator) Owners(netID string) (map[netip.Addr]string, error) {
	t, err := a.read(netID)
	if err != nil {
		return nil, fmt.Errorf("reading addresses of network %s: %w", short(netID), err)
	}
	return t.Addrs, nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
