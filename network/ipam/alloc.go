package ipam

import (
	"net/netip"

	"github.com/onggi/onggi/errdefs"
)

func checkPool(p Pool) error {
	if !p.Prefix.IsValid() {
		return errdefs.Errorf(errdefs.ErrInvalid, "invalid pool: no subnet")
	}
	if r := p.Range; r.IsValid() {
		pre := p.Prefix.Masked()
		if r.Addr().Is4() != pre.Addr().Is4() || r.Bits() < pre.Bits() || !pre.Contains(r.Addr()) {
			return errdefs.Errorf(errdefs.ErrInvalid, "invalid pool: ip-range %s is not inside subnet %s", r, pre)
		}
	}
	return nil
}

func family(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// allocate is Allocate on a locked table.
func (t *table) allocate(p Pool, owner string, want netip.Addr) (netip.Addr, error) {
	pre := p.Prefix.Masked()
	if have, ok := t.ownerAddr(owner, family(pre.Addr())); ok {
		if want.IsValid() && want != have {
			return netip.Addr{}, errdefs.Errorf(errdefs.ErrConflict, "%s already holds address %s", owner, have)
		}
		return have, nil
	}
	if want.IsValid() {
		if err := t.checkWant(p, want); err != nil {
			return netip.Addr{}, err
		}
		t.Addrs[want] = owner
		return want, nil
	}
	a, err := t.pick(p)
	if err != nil {
		return netip.Addr{}, err
	}
	t.Addrs[a] = owner
	t.Last[pre.String()] = a
	return a, nil
}

func (t *table) ownerAddr(owner string, fam int) (netip.Addr, bool) {
	for a, o := range t.Addrs {
		if o == owner && family(a) == fam {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// checkWant applies docker's rules to an address asked for with --ip.
func (t *table) checkWant(p Pool, want netip.Addr) error {
	pre := p.Prefix.Masked()
	if !pre.Contains(want) {
		return errdefs.Errorf(errdefs.ErrInvalid, "invalid address %s: it does not belong to any of this network's subnets", want)
	}
	if want == pre.Addr() || want == broadcast(pre) {
		return errdefs.Errorf(errdefs.ErrInvalid, "invalid address %s: it is the network or broadcast address of %s", want, pre)
	}
	if want == p.Gateway {
		return errdefs.Errorf(errdefs.ErrInUse, "address %s already in use (gateway)", want)
	}
	if _, taken := t.Addrs[want]; taken {
		return errdefs.Errorf(errdefs.ErrInUse, "address %s already in use", want)
	}
	return nil
}

// pick walks the pool's range from after the last address picked,
// wrapping at its end. It never enumerates a large (IPv6) range: among
// len(Addrs)+4 consecutive candidates at most len(Addrs) are taken and
// at most 3 are reserved (network, broadcast, gateway), so one is free
// unless the range is smaller than that, and then the walk covers it.
func (t *table) pick(p Pool) (netip.Addr, error) {
	pre := p.Prefix.Masked()
	bounds := pre
	if p.Range.IsValid() {
		bounds = p.Range.Masked()
	}
	first := bounds.Addr()
	cand := first
	if last, ok := t.Last[pre.String()]; ok && bounds.Contains(last) {
		cand = next(last, bounds)
	}
	steps := min(size(bounds), uint64(len(t.Addrs))+4)
	for range steps {
		if t.usable(p, pre, cand) {
			return cand, nil
		}
		cand = next(cand, bounds)
	}
	return netip.Addr{}, errdefs.Errorf(errdefs.ErrUnavailable,
		"no available IPv%d addresses on this network's address pools", family(pre.Addr()))
}

func (t *table) usable(p Pool, pre netip.Prefix, a netip.Addr) bool {
	if a == pre.Addr() || a == broadcast(pre) || a == p.Gateway {
		return false
	}
	_, taken := t.Addrs[a]
	return !taken
}

// next is a's successor in bounds, wrapping to its first address.
func next(a netip.Addr, bounds netip.Prefix) netip.Addr {
	n := a.Next()
	if !n.IsValid() || !bounds.Contains(n) {
		return bounds.Addr()
	}
	return n
}

// size is the number of addresses in p, capped for IPv6.
func size(p netip.Prefix) uint64 {
	host := p.Addr().BitLen() - p.Bits()
	if host >= 63 {
		return 1 << 63
	}
	return 1 << host
}

// broadcast is an IPv4 prefix's last address; IPv6 has none (the invalid
// Addr never equals a real one).
func broadcast(p netip.Prefix) netip.Addr {
	if !p.Addr().Is4() {
		return netip.Addr{}
	}
	b := p.Addr().As4()
	host := 32 - p.Bits()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= uint32(uint64(1)<<host - 1)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// release frees owner's addresses in the table and reports whether it
// held any.
func (t *table) release(owner string) bool {
	found := false
	for a, o := range t.Addrs {
		if o == owner {
			delete(t.Addrs, a)
			found = true
		}
	}
	return found
}
