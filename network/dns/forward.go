package dns

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/netip"

	"github.com/miekg/dns"
)

// forward relays r to the upstream resolvers in order, over the protocol it
// came in on (a UDP client that got a truncated answer retries over TCP and
// so do we), and relays the first answer, whatever its rcode. When every
// upstream fails or there is none, the client gets SERVFAIL rather than
// silence, so it fails over at once instead of after its own timeout.
func (s *Server) forward(w dns.ResponseWriter, r *dns.Msg, proto string) {
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	default:
		s.reply(w, r, proto, rcode(r, dns.RcodeServerFailure))
		return
	}
	q := r.Copy()
	// A fresh random ID (and a fresh socket, hence source port, per
	// exchange): the container's own ID may be guessable, ours is not.
	q.Id = dns.Id()
	c := &dns.Client{Net: proto, Timeout: s.cfg.Timeout}
	for _, up := range s.cfg.Upstreams {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
		resp, _, err := c.ExchangeContext(ctx, q, upstreamAddr(up))
		cancel()
		if err != nil || resp == nil {
			continue
		}
		resp.Id = r.Id
		_ = w.WriteMsg(resp)
		return
	}
	s.reply(w, r, proto, rcode(r, dns.RcodeServerFailure))
}

// upstreamAddr adds port 53 to a bare address.
func upstreamAddr(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, 53).String()
	}
	return s
}

// HostUpstreams returns the name servers of a resolv.conf (the host's
// /etc/resolv.conf for the responder), leaving out any address in skip (the
// responder's own listen addresses: forwarding to ourselves would loop).
// A missing file means no upstream. The responder runs in the host's
// network namespace, so a host stub resolver on 127.0.0.53 is reachable
// and fine to use, unlike in a container's resolv.conf.
func HostUpstreams(path string, skip []string) ([]string, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	own := map[string]bool{}
	for _, l := range skip {
		if ap, err := ListenAddr(l); err == nil {
			own[ap.String()] = true
		}
	}
	var ups []string
	for _, srv := range cc.Servers {
		addr := net.JoinHostPort(srv, cc.Port)
		if ap, err := netip.ParseAddrPort(addr); err == nil && own[ap.String()] {
			continue
		}
		ups = append(ups, addr)
	}
	return ups, nil
}
