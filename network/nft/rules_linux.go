package nft

import (
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
)

// Chain names inside the table. They are base chains only: with no
// jumps the whole ruleset reads top to bottom in `nft list table`.
const (
	chainPrerouting  = "prerouting"
	chainOutput      = "output"
	chainPostrouting = "postrouting"
	chainForward     = "forward"
	setBridges       = "bridges"
)

// loopback4 and loopback6 are the host-only destinations: a packet
// arriving from outside with one of them is never DNAT'd.
var (
	loopback4 = netip.MustParsePrefix("127.0.0.0/8")
	loopback6 = netip.MustParsePrefix("::1/128")
)

// dnatRules is the DNAT for every port, shared by prerouting (fromHost
// false) and output (fromHost true).
//
// Output starts with `ip6 daddr ::1 return`: IPv6 has no route_localnet,
// a packet from ::1 DNAT'd to a container is dropped on its way out, so
// [::1]:port is left to fail fast (connection refused) instead of hanging.
//
// Prerouting starts with `ip daddr 127.0.0.0/8 return` (and ::1): the
// kernel routes loopback destinations off-host only after prerouting, so
// without it a neighbour sending to 127.0.0.1 would be DNAT'd to a
// container before the martian check could drop it (CVE-2020-8558 in
// kube-proxy). Loopback-bound ports get no prerouting rule at all.
func dnatRules(ports []Port, fromHost bool) [][]expr.Any {
	loopbacks := []netip.Prefix{loopback4, loopback6}
	if fromHost {
		loopbacks = loopbacks[1:]
	}
	var rules [][]expr.Any
	for _, lo := range loopbacks {
		rules = append(rules, join(nfproto(lo.Addr()), prefix(lo, true, expr.CmpOpEq),
			[]expr.Any{verdict(expr.VerdictReturn)}))
	}
	for _, p := range ports {
		if !fromHost && p.HostIP.IsLoopback() {
			continue
		}
		var dst []expr.Any
		if p.HostIP.IsValid() {
			dst = prefix(netip.PrefixFrom(p.HostIP, p.HostIP.BitLen()), true, expr.CmpOpEq)
		} else {
			dst = localDaddr()
		}
		rules = append(rules, join(nfproto(p.ContainerIP), dst,
			l4dport(protoNumbers[p.Proto], p.HostPort),
			dnatTo(p.ContainerIP, p.ContainerPort)))
	}
	return rules
}

// postroutingRules masquerades, in this order:
//   - host-originated connections from 127.0.0.0/8 DNAT'd into a bridge:
//     the container cannot answer a loopback source;
//   - hairpin: a container reaching its own network's published port
//     through a host address, so the reply goes back via the host's
//     conntrack entry instead of straight to the client;
//   - outbound: a non-internal subnet leaving by any interface that is not
//     one of our bridges.
func postroutingRules(nets []Net, bridges *nftables.Set) [][]expr.Any {
	masq := []expr.Any{&expr.Masq{}}
	rules := [][]expr.Any{join(nfproto(loopback4.Addr()), prefix(loopback4, false, expr.CmpOpEq),
		inBridges(expr.MetaKeyOIFNAME, bridges, false), ctBits(expr.CtKeySTATUS, ipsDstNAT), masq)}
	for _, n := range nets {
		for _, s := range n.Subnets {
			rules = append(rules, join(ctBits(expr.CtKeySTATUS, ipsDstNAT), nfproto(s.Addr()),
				prefix(s, false, expr.CmpOpEq), ifname(expr.MetaKeyOIFNAME, expr.CmpOpEq, n.Bridge), masq))
		}
	}
	for _, n := range nets {
		if n.Internal {
			continue
		}
		for _, s := range n.Subnets {
			rules = append(rules, join(nfproto(s.Addr()), prefix(s, false, expr.CmpOpEq),
				inBridges(expr.MetaKeyOIFNAME, bridges, true), masq))
		}
	}
	return rules
}

// forwardRules is the firewall in front of the containers; policy accept
// so that whatever is not about our bridges is left to other tables.
func forwardRules(nets []Net, bridges *nftables.Set) [][]expr.Any {
	accept := []expr.Any{verdict(expr.VerdictAccept)}
	drop := []expr.Any{verdict(expr.VerdictDrop)}
	rules := [][]expr.Any{
		join(ctBits(expr.CtKeySTATE, expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED), accept),
	}
	// Internal networks first: not even a published port may cross them.
	for _, n := range nets {
		if !n.Internal {
			continue
		}
		rules = append(rules,
			join(ifname(expr.MetaKeyIIFNAME, expr.CmpOpEq, n.Bridge), ifname(expr.MetaKeyOIFNAME, expr.CmpOpNeq, n.Bridge), drop),
			join(ifname(expr.MetaKeyOIFNAME, expr.CmpOpEq, n.Bridge), ifname(expr.MetaKeyIIFNAME, expr.CmpOpNeq, n.Bridge), drop))
	}
	toBridge := inBridges(expr.MetaKeyOIFNAME, bridges, false)
	rules = append(rules, join(toBridge, ctBits(expr.CtKeySTATUS, ipsDstNAT), accept))
	for _, n := range nets {
		rules = append(rules, join(ifname(expr.MetaKeyIIFNAME, expr.CmpOpEq, n.Bridge),
			ifname(expr.MetaKeyOIFNAME, expr.CmpOpEq, n.Bridge), accept))
	}
	// Everything else into a bridge — another host aiming at a container
	// address, another onggi network — is a new connection to an
	// unpublished port.
	rules = append(rules, join(toBridge, drop))
	return rules
}

// chainSpec is one base chain and its rules.
type chainSpec struct {
	name  string
	typ   nftables.ChainType
	hook  *nftables.ChainHook
	prio  *nftables.ChainPriority
	rules [][]expr.Any
}

func chainSpecs(rs Ruleset, bridges *nftables.Set) []chainSpec {
	return []chainSpec{
		{chainPrerouting, nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest,
			dnatRules(rs.Ports, false)},
		{chainOutput, nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest,
			dnatRules(rs.Ports, true)},
		{chainPostrouting, nftables.ChainTypeNAT, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource,
			postroutingRules(rs.Networks, bridges)},
		{chainForward, nftables.ChainTypeFilter, nftables.ChainHookForward, nftables.ChainPriorityFilter,
			forwardRules(rs.Networks, bridges)},
	}
}

// bridgeSet is the named set of our bridge interface names; named rather
// than anonymous so `nft list table` shows it once instead of in every rule.
func bridgeSet(t *nftables.Table, nets []Net) (*nftables.Set, []nftables.SetElement) {
	// A fixed non-zero ID: set IDs are scoped to one batch, and leaving it
	// zero makes the library bump a package global without a lock.
	s := &nftables.Set{Table: t, ID: 1, Name: setBridges, KeyType: nftables.TypeIFName,
		// Host byte order, as nft(8) records for strings, so `nft list` prints
		// the names instead of reversed bytes.
		KeyByteOrder: binaryutil.NativeEndian}
	elems := make([]nftables.SetElement, 0, len(nets))
	for _, n := range nets {
		elems = append(elems, nftables.SetElement{Key: ifnameBytes(n.Bridge)})
	}
	return s, elems
}
