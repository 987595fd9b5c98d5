package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/onggi/onggi/errdefs"
)

// ParseSubnets turns `network create`'s repeated --subnet, --gateway and
// --ip-range flags into Subnets, checking them as docker does: first the
// CLI's pairing of each gateway and range with the subnet containing it
// ("no matching subnet for gateway X", overlapping subnets), then the
// daemon's checks (a subnet or range with host bits set is refused with
// "it should be <masked>", as docker ≥ 25 does; a range larger than or
// outside its subnet). Subnets without --gateway get DefaultGateway.
// Every failure is ErrInvalid.
func ParseSubnets(subnet, gateway, ipRange []string) ([]Subnet, error) {
	if len(subnet) < len(ipRange) || len(subnet) < len(gateway) {
		return nil, invalidf("every ip-range or gateway must have a corresponding subnet")
	}
	subs := make([]Subnet, 0, len(subnet))
	for _, s := range subnet {
		p, err := parseCIDR(s)
		if err != nil {
			return nil, invalidf("invalid subnet: %v", err)
		}
		for _, o := range subs {
			if o.Prefix.Masked().Contains(p.Addr()) || p.Masked().Contains(o.Prefix.Addr()) {
				return nil, invalidf("multiple overlapping subnet configuration is not supported")
			}
		}
		subs = append(subs, Subnet{Prefix: p})
	}
	if err := pairRanges(subs, ipRange); err != nil {
		return nil, err
	}
	if err := pairGateways(subs, gateway); err != nil {
		return nil, err
	}
	if err := validateSubnets(subs); err != nil {
		return nil, err
	}
	for i := range subs {
		if !subs[i].Gateway.IsValid() {
			subs[i].Gateway = DefaultGateway(subs[i].Prefix)
		}
	}
	return subs, nil
}

// DefaultGateway is the gateway of a subnet given without one: its first
// address after the network address, as docker's default IPAM picks. It
// is invalid for subnets too small to hold a gateway and a host.
func DefaultGateway(p netip.Prefix) netip.Addr {
	if p.Bits() > p.Addr().BitLen()-2 {
		return netip.Addr{}
	}
	return p.Masked().Addr().Next()
}

func invalidf(format string, args ...any) error {
	return errdefs.Errorf(errdefs.ErrInvalid, format, args...)
}

// parseCIDR parses as the docker CLI does (net.ParseCIDR, so its error
// text is docker's) but returns the prefix with its host bits kept, for
// the daemon-side check to report.
func parseCIDR(s string) (netip.Prefix, error) {
	if _, _, err := net.ParseCIDR(s); err != nil {
		return netip.Prefix{}, err
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, &net.ParseError{Type: "CIDR address", Text: s}
	}
	return p, nil
}

// parseData parses a gateway or range as the CLI's subnetMatches: an
// unparsable address matches no subnet, an unparsable CIDR is an error.
func parseData(s string) (netip.Addr, netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := parseCIDR(s)
		return p.Addr(), p, err
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, netip.Prefix{}, nil
	}
	return a.Unmap(), netip.Prefix{}, nil
}

func pairRanges(subs []Subnet, ranges []string) error {
	for _, r := range ranges {
		addr, p, err := parseData(r)
		if err != nil {
			return invalidf("%v", err)
		}
		if !p.IsValid() {
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		match := false
		for i := range subs {
			if !addr.IsValid() || !subs[i].Prefix.Masked().Contains(addr) {
				continue
			}
			if subs[i].IPRange.IsValid() {
				return invalidf("cannot configure multiple ranges (%s, %s) on the same subnet (%s)", r, subs[i].IPRange, subs[i].Prefix)
			}
			subs[i].IPRange, match = p, true
		}
		if !match {
			return invalidf("no matching subnet for range %s", r)
		}
	}
	return nil
}

func pairGateways(subs []Subnet, gateways []string) error {
	for _, g := range gateways {
		addr, _, err := parseData(g)
		if err != nil {
			return invalidf("%v", err)
		}
		match := false
		for i := range subs {
			if !addr.IsValid() || !subs[i].Prefix.Masked().Contains(addr) {
				continue
			}
			if subs[i].Gateway.IsValid() {
				return invalidf("cannot configure multiple gateways (%s, %s) for the same subnet (%s)", g, subs[i].Gateway, subs[i].Prefix)
			}
			subs[i].Gateway, match = addr, true
		}
		if !match {
			return invalidf("no matching subnet for gateway %s", g)
		}
	}
	return nil
}

// validateSubnets is the daemon's ValidateIPAM: all problems, joined.
func validateSubnets(subs []Subnet) error {
	var errs []string
	for _, s := range subs {
		if s.Prefix != s.Prefix.Masked() {
			errs = append(errs, fmt.Sprintf("invalid subnet %s: it should be %s", s.Prefix, s.Prefix.Masked()))
		}
		r := s.IPRange
		if !r.IsValid() {
			continue
		}
		if r.Bits() < s.Prefix.Bits() {
			errs = append(errs, fmt.Sprintf("invalid ip-range %s: CIDR block is bigger than its parent subnet %s", r, s.Prefix))
		}
		if r != r.Masked() {
			errs = append(errs, fmt.Sprintf("invalid ip-range %s: it should be %s", r, r.Masked()))
		}
		if !s.Prefix.Overlaps(r) {
			errs = append(errs, fmt.Sprintf("invalid ip-range %s: parent subnet %s doesn't contain ip-range", r, s.Prefix))
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return invalidf("invalid network config:\n%w", errors.New(errs[0]))
	}
	return invalidf("invalid network config:\n%w", errors.New("* "+strings.Join(errs, "\n* ")))
}
