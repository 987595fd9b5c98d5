// Package dns is the per-network name responder of user-defined bridge
// networks: containers resolve each other by name, alias and service name,
// and every other name is forwarded to the host's resolvers.
//
// # Shape
//
// One small process per network, re-executed from the onggi binary as
// "onggi-dns" (Main), listening on the network's gateway address(es),
// port 53, UDP and TCP, in the host's network namespace. This is
// aardvark-dns's shape (podman/netavark), not Docker's: dockerd answers on
// 127.0.0.11 inside every container's namespace, which needs a long-lived
// daemon with a socket in each namespace plus NAT rules there. onggi has no
// daemon, so the responder is started on demand by the first container
// that needs it (Ensure) and leaves by itself once its network has no
// names (~2 s, so a restart does not bounce it). Listening in the host's
// namespace also means a host stub resolver on 127.0.0.53 is a usable
// upstream here, while it must never be copied into a container.
//
// # Engine ↔ responder
//
// The only channel is the records file <runroot>/network/dns/<netID>.json
// (Records, written with WriteRecords: temporary file + rename, so a reader
// never sees half of it). aardvark-dns is told to reload with SIGHUP, which
// needs its pid and a race-free way to signal it; here the responder
// stat()s the file on each query (and every few hundred milliseconds) and
// re-reads it only when its inode, size or mtime changed: a syscall per
// query, no signal, no pid, and a write is visible to the very next query.
// The listen addresses are read once at start: the engine brings the
// bridge address up and writes the file before Ensure.
//
// Lifetime uses two flocks beside the file. <netID>.pid is held by the
// responder for its whole life (one responder per network; a crash drops
// it, so there is never a stale "running"); its content is the pid, written
// once listening. <netID>.lock serialises Ensure callers and the
// responder's idle exit: the responder re-reads the records under it before
// leaving and leaves holding it, so Ensure never trusts a responder that
// is on its way out. Ensure waits on a pipe (fd 3 of the child) for "ok" or
// the child's failure ("listen udp 10.89.1.1:53: bind: address already in
// use"). Stop signals through a pidfd, checked against the pidfile after
// it was opened, so a recycled pid is never hit.
//
// # Answers
//
// Local names are matched case-insensitively as the bare name ("web" and
// "web." are the same on the wire); no search-domain suffixes. Answers are
// authoritative with TTL 0 and rotated per query, so replicas share the
// load and a changed replica set shows at once. A known name without an
// address of the asked type gets NOERROR with an empty answer (never
// NXDOMAIN, which would make a resolver asking A and AAAA together drop
// the half it got). PTR is answered for addresses that have names here.
// Other names go to the host's resolvers (/etc/resolv.conf, read at start)
// over the protocol the query came in on, with a fresh query ID; when none
// answers, the client gets SERVFAIL at once rather than a timeout.
//
// Because the gateway address is a host address, anything routed to it
// could ask, including containers on other networks and, with forwarding
// on, other hosts. So only the network's own endpoints are served: sources
// that are a named address, a listen address, loopback or inside
// Records.Subnets; others get REFUSED. Forwarded queries in flight are
// bounded, so a container looping on lookups cannot exhaust the process.
//
// This package imports only errdefs from onggi; the engine registers Main
// (HelperName) and calls WriteRecords, Ensure and Stop.
package dns
