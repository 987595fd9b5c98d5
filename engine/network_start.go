package engine

import (
	"context"
	"fmt"
	"os"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
)

// netSetup is what a run's spec needs from its networking.
type netSetup struct {
	netns  string         // the namespace to join; "" = as the mode says
	etcDir string         // holds hostname, hosts, resolv.conf
	config *ctypes.Config // c.Config, or a copy with another hostname
	ep     *endpointState // bridge networks: what to undo on failure
}

// startNetworking prepares c's networking for a run, before its spec is
// generated: bridge networks are attached (attachNetworks), container:<id>
// joins that container's namespace and shares its /etc files and
// hostname, none and host need nothing. A failure leaves nothing behind.
func (e *Engine) startNetworking(ctx context.Context, c *container.Container) (netSetup, error) {
	s := netSetup{etcDir: e.containers.Dir(c.ID), config: c.Config}
	hc := c.HostConfig
	switch {
	case hc.NetworkMode.IsContainer():
		return e.joinContainerNetwork(ctx, c, s)
	case !isBridgeMode(hc) || len(c.Networks) == 0:
		return s, nil
	}
	st, err := e.attachNetworks(c)
	if err != nil {
		return s, err
	}
	if err := writeNetEtcFiles(s.etcDir, c.Config, hc, st); err != nil {
		e.teardownEndpoint(st, nil)
		return s, fmt.Errorf("container %s: %w", shortID(c.ID), err)
	}
	s.netns, s.ep = st.NetNS, st
	return s, nil
}

// joinContainerNetwork resolves --network container:<ref>: the other
// container must run; its netns file (bridge modes) or its init's
// namespace (none, host) is joined, as docker's getNetworkedContainer.
func (e *Engine) joinContainerNetwork(ctx context.Context, c *container.Container, s netSetup) (netSetup, error) {
	ref := c.HostConfig.NetworkMode.ConnectedContainer()
	nc, err := e.getContainer(ctx, ref)
	if err != nil {
		return s, err
	}
	switch {
	case nc.ID == c.ID:
		return s, classed(errdefs.ErrInvalid, "cannot join own network namespace")
	case nc.State.Restarting:
		return s, classed(errdefs.ErrConflict, "cannot join network of container %s which is restarting", nc.Name)
	case !nc.Running() || nc.State.Pid <= 0:
		return s, classed(errdefs.ErrConflict, "cannot join network namespace of a non running container: container %s is %s", nc.Name, nc.State.Status)
	}
	s.netns = e.netnsPath(nc.ID)
	if _, err := os.Lstat(s.netns); err != nil {
		s.netns = fmt.Sprintf("/proc/%d/ns/net", nc.State.Pid)
	}
	s.etcDir = e.containers.Dir(nc.ID)
	cfg := *c.Config
	if nc.Config != nil {
		cfg.Hostname, cfg.Domainname = nc.Config.Hostname, nc.Config.Domainname
	}
	s.config = &cfg
	return s, nil
}
