package dns

import (
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/miekg/dns"
)

// ServeDNS answers one query; it makes Server a dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	proto := w.LocalAddr().Network() // "udp" or "tcp"
	tab := s.records()
	if !tab.permits(remoteAddr(w)) {
		// Anything routed to the gateway could ask: only the network's
		// own endpoints learn its names or use the host's resolvers.
		s.reply(w, r, proto, rcode(r, dns.RcodeRefused))
		return
	}
	if r.Opcode != dns.OpcodeQuery {
		s.reply(w, r, proto, rcode(r, dns.RcodeNotImplemented))
		return
	}
	if len(r.Question) != 1 {
		s.reply(w, r, proto, rcode(r, dns.RcodeFormatError))
		return
	}
	if m := s.answer(tab, r); m != nil {
		s.reply(w, r, proto, m)
		return
	}
	s.forward(w, r, proto)
}

// answer builds the reply for a local name, or returns nil when the name is
// not ours and must be forwarded.
func (s *Server) answer(tab *table, r *dns.Msg) *dns.Msg {
	q := r.Question[0]
	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY {
		return nil
	}
	name := canonical(q.Name)
	if q.Qtype == dns.TypePTR {
		if m := s.answerPTR(tab, r, name); m != nil {
			return m
		}
	}
	if !tab.names[name] {
		return nil
	}
	// A known name without an address of the asked type is NOERROR with no
	// answer, never NXDOMAIN: a resolver asking A and AAAA in parallel
	// (glibc) would otherwise drop the A answer it did get.
	m := localReply(r)
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: s.cfg.TTL}
	}
	if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
		for _, a := range rotate(tab.v4[name], tab.turn(name)) {
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: a.AsSlice()})
		}
	}
	if q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY {
		for _, a := range rotate(tab.v6[name], tab.turn(name)) {
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: a.AsSlice()})
		}
	}
	return m
}

// answerPTR answers a reverse lookup of an address that has names here;
// others (the host's own reverse zones) go upstream.
func (s *Server) answerPTR(tab *table, r *dns.Msg, name string) *dns.Msg {
	names := tab.ptr[name]
	if len(names) == 0 {
		return nil
	}
	m := localReply(r)
	for _, n := range names {
		m.Answer = append(m.Answer, &dns.PTR{
			Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: s.cfg.TTL},
			Ptr: dns.Fqdn(n),
		})
	}
	return m
}

func localReply(r *dns.Msg) *dns.Msg {
	m := new(dns.Msg).SetReply(r)
	m.Authoritative = true
	m.RecursionAvailable = true
	return m
}

func rcode(r *dns.Msg, code int) *dns.Msg {
	m := new(dns.Msg).SetRcode(r, code)
	m.RecursionAvailable = true
	return m
}

// reply sends m, echoing EDNS0 when the query had it and truncating to what
// the client can take over UDP (it then retries over TCP).
func (s *Server) reply(w dns.ResponseWriter, r *dns.Msg, proto string, m *dns.Msg) {
	size := dns.MinMsgSize
	if opt := r.IsEdns0(); opt != nil {
		size = max(int(opt.UDPSize()), dns.MinMsgSize)
		if m.IsEdns0() == nil {
			m.SetEdns0(uint16(size), false)
		}
	}
	if proto == "tcp" {
		size = dns.MaxMsgSize
	}
	m.Truncate(size)
	_ = w.WriteMsg(m) // the client is gone; nothing to do
}

// rotate returns addrs starting at index n: successive queries see the
// replicas in turn first, which is all most clients use.
func rotate(addrs []netip.Addr, n uint32) []netip.Addr {
	if len(addrs) < 2 {
		return addrs
	}
	k := int(n % uint32(len(addrs)))
	return append(append(make([]netip.Addr, 0, len(addrs)), addrs[k:]...), addrs[:k]...)
}

// turn advances name's round-robin counter.
func (t *table) turn(name string) uint32 {
	if c := t.rr[name]; c != nil {
		return c.Add(1) - 1
	}
	return 0
}

func remoteAddr(w dns.ResponseWriter) netip.Addr {
	switch a := w.RemoteAddr().(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr()
	case *net.TCPAddr:
		return a.AddrPort().Addr()
	}
	return netip.Addr{}
}

// counters are allocated per name at load so turn needs no lock.
func newCounters(names map[string]bool) map[string]*atomic.Uint32 {
	rr := make(map[string]*atomic.Uint32, len(names))
	for n := range names {
		rr[n] = new(atomic.Uint32)
	}
	return rr
}
