package engine

// Network API (issue 5). The bodies live in network_*.go.

import (
	"context"

	"github.com/moby/moby/api/types/network"
)

// CreateNetwork creates a user-defined bridge network (docker network
// create). req carries docker's shapes: Driver ("" or "bridge"), IPAM.Config
// (Subnet, Gateway, IPRange; none = a free subnet is picked), Internal,
// EnableIPv6 (a ULA subnet is picked when none is given), Labels and Options
// (com.docker.network.driver.mtu, com.docker.network.bridge.name). A
// duplicate name is errdefs.ErrExists ("network with name X already
// exists"); a subnet that overlaps another network is errdefs.ErrConflict.
// The bridge interface is created when the first container joins.
func (e *Engine) CreateNetwork(ctx context.Context, name string, req network.CreateRequest) (network.CreateResponse, error) {
	return e.createNetwork(ctx, name, req)
}

// ListNetworks lists networks (predefined first, then by name) filtered as
// docker's `network ls --filter`: name, id (prefixes), label (key or
// key=value), driver, type (builtin|custom), dangling (true|false).
// An unknown filter key is errdefs.ErrInvalid.
func (e *Engine) ListNetworks(ctx context.Context, filters map[string][]string) ([]network.Summary, error) {
	return e.listNetworks(ctx, filters)
}

// InspectNetwork returns a network (by name, id or unique id prefix) with
// its running containers' endpoints in Containers, as docker's
// GET /networks/{id}. Unknown: errdefs.ErrNotFound ("network X not found").
func (e *Engine) InspectNetwork(ctx context.Context, ref string) (network.Inspect, error) {
	return e.inspectNetwork(ctx, ref)
}

// RemoveNetwork deletes a user-defined network, its bridge, its address
// allocations and its DNS responder. A network a running container is on
// is errdefs.ErrInUse ("error while removing network: network X has active
// endpoints"); stopped containers do not hold it (as on docker: they fail
// to start until disconnected). A predefined network is
// errdefs.ErrConflict ("bridge is a pre-defined network and cannot be
// removed").
func (e *Engine) RemoveNetwork(ctx context.Context, ref string) error {
	if err := e.removeNetwork(ctx, ref); err != nil {
		return err
	}
	e.gcNetworks()
	return nil
}

// PruneNetworks removes the user-defined networks no container is
// connected to, filtered by label / label! / until, and returns their names.
func (e *Engine) PruneNetworks(ctx context.Context, filters map[string][]string) ([]string, error) {
	names, err := e.pruneNetworks(ctx, filters)
	e.gcNetworks()
	return names, err
}

// ConnectNetwork connects a container to a network (docker network
// connect): es may carry Aliases, IPAMConfig (--ip, --ip6), MacAddress. A
// running container gets a new interface (eth1, …) at once; a stopped one
// is connected at its next start. Already connected: errdefs.ErrConflict
// ("endpoint with name C already exists in network N"); network modes host,
// none and container: cannot be connected (errdefs.ErrInvalid).
func (e *Engine) ConnectNetwork(ctx context.Context, netRef, containerRef string, es *network.EndpointSettings) error {
	return e.connectNetwork(ctx, netRef, containerRef, es)
}

// DisconnectNetwork disconnects a container from a network: a running
// container loses the interface at once. Not connected: errdefs.ErrNotFound
// ("container C is not connected to network N"), unless force.
func (e *Engine) DisconnectNetwork(ctx context.Context, netRef, containerRef string, force bool) error {
	return e.disconnectNetwork(ctx, netRef, containerRef, force)
}
