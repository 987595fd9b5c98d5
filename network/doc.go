// Package network owns onggi's network records: the Network type, the
// on-disk Store of networks (one JSON file per network), the predefined
// "bridge", "host" and "none" networks, the naming of kernel objects
// (instance tag, bridge names), subnet picking for networks created
// without --subnet, and the validation of docker's --subnet/--gateway/
// --ip-range flags.
//
// Lock order, to keep processes from deadlocking: SubnetLock first, then
// the store's directory lock (taken inside Create, Remove and
// EnsurePredefined), then a network's Lock. Never take SubnetLock inside
// EnsurePredefined's pick or while holding a network's Lock.
//
// It holds data and files only: it creates no interface, rule or
// namespace (network/link and network/nft do), and it must not import
// engine/, cli/ or any other network/ subpackage, so each of them may
// import it.
package network
