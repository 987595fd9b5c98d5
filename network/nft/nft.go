package nft

import "net/netip"

// Ruleset is everything one onggi instance publishes and filters: its
// bridge networks and the ports published to containers on them. Apply
// turns it into the complete contents of the nftables table named Table.
type Ruleset struct {
	// Table is the inet table owned by this instance: "onggi" or
	// "onggi-<tag>" (see network.InstanceTag).
	Table string
	// Networks are the instance's bridge networks. An empty list makes
	// Apply delete the table: nothing is left to NAT or filter.
	Networks []Net
	// Ports are the published ports of running containers.
	Ports []Port
}

// Net is one bridge network as the firewall sees it.
type Net struct {
	// Bridge is the bridge interface name; rules match it by name, so the
	// ruleset can be applied before the interface exists.
	Bridge string
	// Subnets are the network's IPv4 and IPv6 prefixes.
	Subnets []netip.Prefix
	// Internal networks talk only inside their own bridge: no outbound
	// masquerade, nothing forwarded in or out.
	Internal bool
}

// Port is one published port: traffic to HostIP:HostPort (any local
// address when HostIP is invalid or unspecified) is DNAT'd to
// ContainerIP:ContainerPort.
type Port struct {
	// Proto is "tcp", "udp" or "sctp".
	Proto string
	// HostIP restricts the port to one local address; the zero Addr,
	// 0.0.0.0 and :: mean every local address of ContainerIP's family.
	HostIP   netip.Addr
	HostPort uint16
	// ContainerIP's family selects the rule's family: a v6 container
	// address gets an IPv6 DNAT.
	ContainerIP   netip.Addr
	ContainerPort uint16
}

// Apply replaces the table rs.Table with the rules for rs in one atomic
// netlink batch, or deletes the table when rs has no networks. Concurrent
// calls (from any process) each leave one complete ruleset. An invalid
// Ruleset is ErrInvalid and changes nothing.
func Apply(rs Ruleset) error { return apply(rs) }

// Delete removes the table; a missing table is not an error.
func Delete(table string) error { return deleteTable(table) }
