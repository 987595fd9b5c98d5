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

// publishedPorts are the bindings of a running container. Network modes
// none and host publish nothing (docker ignores -p with them); other modes
// report the requested bindings until the networking issue reports the
// real ones.
func publishedPorts(c *container.Container) []ctypes.PortSummary {
	out := []ctypes.PortSummary{}
	if !c.Running() || c.HostConfig == nil {
		return out
	}
	switch inspectNetworkMode(c) {
	case "none", "host", "":
		return out
	}
	for p, binds := range c.HostConfig.PortBindings {
		for _, b := range binds {
			pub, _ := strconv.ParseUint(b.HostPort, 10, 16)
			out = append(out, ctypes.PortSummary{
				IP: b.HostIP, PrivatePort: p.Num(), PublicPort: uint16(pub), Type: string(p.Proto()),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PrivatePort != out[j].PrivatePort {
			return out[i].PrivatePort < out[j].PrivatePort
		}
		return out[i].Type < out[j].Type
	})
	return out
}
