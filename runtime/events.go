package runtime

import (
	"context"
	"fmt"

	"github.com/onggi/onggi/runtime/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// OOMEvents sends one value per OOM kill in the container's cgroup (runc's
// NotifyOOM). The channel closes when ctx ends or the cgroup is removed,
// i.e. the container is gone. The cgroup comes from the saved state, as for
// Stats, so any onggi process can watch a container another one started.
func (c *Container) OOMEvents(ctx context.Context) (<-chan struct{}, error) {
	st, status, err := c.saved()
	if err != nil {
		return nil, err
	}
	if status == specs.StateStopped {
		return nil, fmt.Errorf("container %s: %w", c.id, ErrNotRunning)
	}
	cg, err := cgroupLoad(st.CgroupPaths, st.Systemd)
	if err != nil {
		return nil, fmt.Errorf("watching OOM events of %s: %w", c.id, err)
	}
	n, ok := cg.(cgroups.OOMNotifier)
	if !ok {
		return nil, fmt.Errorf("watching OOM events of %s: the cgroup manager cannot report OOM kills: %w", c.id, cgroups.ErrNotAvailable)
	}
	ch, err := n.OOMEvents(ctx)
	if err != nil {
		return nil, fmt.Errorf("watching OOM events of %s: %w", c.id, err)
	}
	return ch, nil
}
