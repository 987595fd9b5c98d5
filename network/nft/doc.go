// Package nft writes onggi's firewall: published-port DNAT, masquerade and
// the forward filter, as one nftables table per onggi instance, over
// netlink with github.com/google/nftables (no nft binary at runtime). It
// imports nothing of onggi's but errdefs; the engine computes a Ruleset
// from its state and calls Apply whenever a network or published port
// changes, and after a reboot.
//
// # One table, replaced whole
//
// The table ("onggi" or "onggi-<tag>") has family inet, so one set of
// chains serves IPv4 and IPv6 (NAT in inet tables needs kernel 5.2).
// Apply sends one batch — add table, delete table, add table with its set,
// chains and rules — which the kernel commits as one transaction: no
// packet sees a half-built table, concurrent Apply calls (several onggi
// processes) each leave a complete ruleset, last writer wins, and since
// the engine always applies the full state that is the right one. When
// the table does not exist yet, the batch creates it exclusively instead
// (nothing deleted, so nothing for the kernel to free; see closeLater) and
// falls back to the replacing batch if a concurrent Apply created it
// first. Other tables (Docker's iptables-nft, a host firewall) are never
// listed, flushed or reordered: base chains of different tables run side
// by side at their priorities. A Ruleset with no networks deletes the
// table.
//
// Cost here: ~2 ms per Apply or Delete. Replacing or deleting the table
// leaves the kernel ~5-15 ms of freeing after an RCU grace period, which
// the next batch (any process's) and this process's exit wait for; Apply
// does not. An engine that keeps the table while its bridges exist, rather
// than deleting it with the last container, avoids that wait entirely.
//
// # Chains
//
//	set bridges    type ifname: every onggi bridge of this instance
//	prerouting     nat hook prerouting prio dstnat (-100)
//	    ip daddr 127.0.0.0/8 return; ip6 daddr ::1 return
//	    per port: [fib daddr type local | ip daddr HostIP] l4proto dport → dnat ContainerIP:port
//	output         nat hook output prio -100 (connections made by the host itself)
//	    ip6 daddr ::1 return
//	    per port, as above, including ports bound to 127.0.0.1
//	postrouting    nat hook postrouting prio srcnat (100)
//	    ip saddr 127.0.0.0/8 oifname @bridges ct status dnat masquerade
//	    per subnet: ct status dnat saddr SUBNET oifname BRIDGE masquerade   (hairpin)
//	    per non-internal subnet: saddr SUBNET oifname != @bridges masquerade (outbound)
//	forward        filter hook forward prio filter (0), policy accept
//	    ct state established,related accept
//	    per internal bridge: iifname B oifname != B drop; oifname B iifname != B drop
//	    oifname @bridges ct status dnat accept                (published ports)
//	    per bridge: iifname B oifname B accept                 (same network)
//	    oifname @bridges drop                                  (anything else into a container)
//
// Rules name bridges by interface name (iifname/oifname, and the bridges
// set), so the ruleset can be applied before a bridge exists and survives
// one being re-created. The forward chain drops only traffic going into
// our bridges; everything else is left to policy accept and to the
// host's other tables.
//
// # One rule per port
//
// Published ports are one DNAT rule each in prerouting and output, not a
// verdict or NAT map: a rule reads as `tcp dport 8080 dnat ip to
// 10.89.0.2:80` in `nft list`, needs no concatenated-key map per family,
// and linear matching costs nothing measurable at the tens of ports a
// host publishes. Sets are used where they shrink every rule instead: the
// bridges set. A `meta l4proto . th dport` map is the step to take if
// hosts with hundreds of ports show up in profiles.
//
// # Loopback
//
// Prerouting never DNATs a loopback destination: the kernel drops a
// martian 127.0.0.0/8 destination arriving from outside only after
// prerouting, so a neighbour routing 127.0.0.1 to this host would
// otherwise reach a container (CVE-2020-8558, kube-proxy's version of
// this bug). A port bound to 127.0.0.1 therefore has only an output rule.
// The host's own 127.0.0.1 → container path needs route_localnet=1 on the
// bridge (set by network/link) and is masqueraded to the bridge address,
// since the container cannot answer a loopback source. IPv6 has no
// route_localnet: a packet from ::1 cannot leave lo, so [::1]:port is not
// DNAT'd (connection refused instead of a hang) and a Port with HostIP ::1
// is rejected as invalid.
//
// # What the rest of the system must provide
//
//   - net.ipv4.ip_forward=1 (net.ipv6.conf.all.forwarding=1 with IPv6
//     networks), or nothing is forwarded at all.
//   - route_localnet=1 on each bridge, for 127.0.0.1 publishing.
//   - hairpin mode on every bridge port (host veth end): with br_netfilter
//     loaded (Docker loads it), a container's connection to its own
//     published port is DNAT'd in the bridge path and sent back out the
//     port it came in by, which a bridge refuses without hairpin mode.
//   - A drop in any other table's forward chain (Docker sets iptables
//     FORWARD policy DROP) still drops: nftables accepts a packet only if
//     every base chain at the hook does. onggi does not edit other tables.
package nft
