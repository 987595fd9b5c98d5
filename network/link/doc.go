// Package link does onggi's kernel link work over netlink
// (github.com/vishvananda/netlink): bridges, pinned network namespaces, the
// veth pair of each container endpoint, host forwarding and the host's
// routes. It knows nothing of networks, IPAM, nftables or containers: the
// engine passes it names, addresses and netns paths. It imports only
// errdefs of onggi's and must not import engine/ or network/.
//
// # Which namespace
//
// EnsureBridge, DeleteBridge, AddVeth's host end, DeleteVeth,
// EnableForwarding and HostRoutes act on the network namespace of the
// calling thread (the host's, for the engine). Tests lock a thread inside
// a namespace they create and call the exported functions from it, so no
// test ever creates an interface in the host namespace.
//
// # Veth pairs are created in place, never moved
//
// Moving a device to another namespace (RTM_SETLINK with IFLA_NET_NS_FD,
// "ip link set X netns Y") goes through dev_change_net_namespace, which
// unregisters and re-registers the device and waits for an RCU grace
// period (synchronize_net) while holding RTNL, the one lock every link,
// address and route change on the machine takes. With many containers
// starting at once those waits serialise everything. So AddVeth sends one
// RTM_NEWLINK that creates both ends where they belong, and the container
// end is born with its final name (eth0, eth1, …), so it is never renamed
// either.
//
// The CNI plugins (ip.SetupVeth) send that message from inside the
// container netns, with the peer placed in the host's. We do the mirror
// image: the message goes out in the host netns, the new link is the host
// end and its peer (IFLA_NET_NS_FD = the container's netns fd) is the
// container end. That way the creation needs no socket or thread in the
// container netns at all, the host end comes up in the same message, and
// the container end's name, MAC and MTU ride in the peer attributes. The
// benchmarks in link_bench_test.go measure the difference against
// create-then-move.
//
// # No setns on shared threads
//
// A Go thread that has changed namespace must never run other goroutines.
// Everything inside a container netns goes through a netlink socket opened
// there once (netlink.NewHandleAt, which locks the thread only while the
// socket is created and moves it back before unlocking); a socket keeps its
// namespace for life, so the requests need no setns. What has no socket
// (the /proc/sys/net files, which resolve against the opening thread's
// namespace, and unshare for a new netns) runs on a fresh goroutine that
// locks its thread and never unlocks it, so the Go runtime ends the thread
// with the goroutine instead of reusing it.
//
// # Host settings
//
// EnableForwarding (net.ipv4.ip_forward, and net.ipv6.conf.all.forwarding
// for IPv6 networks) is the one host-wide setting onggi changes, as docker
// does, and only when it is not already 1. Per bridge, route_localnet=1
// lets a connection to 127.0.0.1:port be DNATed out of the bridge, and
// IPv6 DAD is off so gateway addresses are usable at once.
package link
