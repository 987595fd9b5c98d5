package engine

import (
	"context"
	"sort"
	"strconv"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
)

// containerPorts lists what the container publishes. The CLI's
// `port c 80/tcp` filters this list and reports docker's "No public port
// '80/tcp' published for c" (ErrNotFound) itself when nothing matches.
func (e *Engine) containerPorts(ctx context.Context, ref string) ([]ctypes.PortSummary, error) {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	return publishedPorts(c), nil
}

// publishedPorts are the bindings of a running container as the run
// resolved them (ephemeral and -P ports chosen), in docker's order; ps
// shows them as "0.0.0.0:8080->80/tcp", and exposed ports without a
// binding as "80/tcp" (PublicPort 0). Network modes none, host and
// container: publish nothing (docker ignores -p with them).
func publishedPorts(c *container.Container) []ctypes.PortSummary {
	out := []ctypes.PortSummary{}
	if !c.Running() {
		return out
	}
	for p, binds := range c.Ports {
		for _, b := range binds {
			pub, _ := strconv.ParseUint(b.HostPort, 10, 16)
			out = append(out, ctypes.PortSummary{
				IP: b.HostIP, PrivatePort: p.Num(), PublicPort: uint16(pub), Type: string(p.Proto()),
			})
		}
	}
	if c.Config != nil && isBridgeMode(c.HostConfig) {
		// docker's ps shows exposed, unpublished ports as "80/tcp".
		for p := range c.Config.ExposedPorts {
			if len(c.Ports[p]) == 0 {
				out = append(out, ctypes.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PrivatePort != out[j].PrivatePort {
			return out[i].PrivatePort < out[j].PrivatePort
		}
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].IP.Less(out[j].IP)
	})
	return out
}
