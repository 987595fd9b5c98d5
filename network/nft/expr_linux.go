package nft

import (
	"encoding/binary"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Small builders for the expressions the rules are made of, each the
// netlink form of one nft(8) selector. Register 1 holds the value being
// matched; the DNAT target uses registers 1 (address) and 2 (port).

// ifnameBytes pads an interface name to IFNAMSIZ: the kernel compares the
// whole 16-byte meta value, so "br-a" must not match "br-ab".
func ifnameBytes(name string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return b
}

// nfproto is `meta nfproto ipv4|ipv6`, the family guard every address
// match and DNAT needs in an inet table.
func nfproto(a netip.Addr) []expr.Any {
	fam := byte(unix.NFPROTO_IPV4)
	if a.Is6() {
		fam = unix.NFPROTO_IPV6
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{fam}},
	}
}

// ifname is `iifname|oifname [!=] name`.
func ifname(key expr.MetaKey, op expr.CmpOp, name string) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: op, Register: 1, Data: ifnameBytes(name)},
	}
}

// inBridges is `iifname|oifname [!=] @bridges`.
func inBridges(key expr.MetaKey, set *nftables.Set, invert bool) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID, Invert: invert},
	}
}

// addrOffsets returns the network-header offsets of the source and
// destination address for a's family.
func addrOffsets(a netip.Addr) (src, dst, size uint32) {
	if a.Is6() {
		return 8, 24, 16
	}
	return 12, 16, 4
}

// prefix is `ip|ip6 saddr|daddr [!=] p` (without the nfproto guard).
func prefix(p netip.Prefix, dst bool, op expr.CmpOp) []expr.Any {
	p = p.Masked()
	src, dstOff, size := addrOffsets(p.Addr())
	off := src
	if dst {
		off = dstOff
	}
	load := &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: size}
	if p.Bits() == p.Addr().BitLen() {
		return []expr.Any{load, &expr.Cmp{Op: op, Register: 1, Data: p.Addr().AsSlice()}}
	}
	mask := netip.PrefixFrom(p.Addr(), p.Bits())
	return []expr.Any{
		load,
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: size,
			Mask: maskBytes(mask), Xor: make([]byte, size)},
		&expr.Cmp{Op: op, Register: 1, Data: p.Addr().AsSlice()},
	}
}

// maskBytes is the netmask of p in network byte order.
func maskBytes(p netip.Prefix) []byte {
	b := make([]byte, p.Addr().BitLen()/8)
	for i := 0; i < p.Bits(); i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return b
}

// localDaddr is `fib daddr type local`: the destination is one of this
// host's addresses, whichever interface carries it.
func localDaddr() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
	}
}

// l4dport is `meta l4proto P th dport N`; the destination port sits at
// offset 2 of the TCP, UDP and SCTP headers alike.
func l4dport(proto byte, port uint16) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(port)},
	}
}

// ctBits is `ct state|status & bits != 0`.
func ctBits(key expr.CtKey, bits uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: key},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(bits), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
	}
}

// ipsDstNAT is IPS_DST_NAT from linux/netfilter/nf_conntrack_common.h:
// the connection's destination was rewritten (`ct status dnat`).
const ipsDstNAT = 1 << 5

// dnatTo is `dnat ip|ip6 to addr:port`.
func dnatTo(addr netip.Addr, port uint16) []expr.Any {
	fam := uint32(unix.NFPROTO_IPV4)
	if addr.Is6() {
		fam = unix.NFPROTO_IPV6
	}
	pb := make([]byte, 2)
	binary.BigEndian.PutUint16(pb, port)
	return []expr.Any{
		&expr.Immediate{Register: 1, Data: addr.AsSlice()},
		&expr.Immediate{Register: 2, Data: pb},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: fam, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	}
}

func verdict(k expr.VerdictKind) expr.Any { return &expr.Verdict{Kind: k} }

// join concatenates expression groups into one rule body.
func join(groups ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
