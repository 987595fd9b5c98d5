package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
)

// psFilters are the keys docker ps accepts.
var psFilters = map[string]bool{
	"id": true, "name": true, "label": true, "status": true, "exited": true,
	"ancestor": true, "before": true, "since": true, "volume": true,
	"health": true, "network": true, "publish": true, "expose": true,
	"is-task": true, "isolation": true,
}

// containerSummaries lists containers as docker ps does: running ones unless
// all, then narrowed by filters (values of one key: any matches; keys: all).
func (e *Engine) containerSummaries(ctx context.Context, all bool, filters map[string][]string) ([]ctypes.Summary, error) {
	m, err := e.newPSMatcher(ctx, filters)
	if err != nil {
		return nil, err
	}
	list, err := e.listContainers(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.resolveBounds(list); err != nil {
		return nil, err
	}
	// docker: a status or exited filter implies all.
	if len(filters["status"]) > 0 || len(filters["exited"]) > 0 {
		all = true
	}
	out := []ctypes.Summary{}
	for _, c := range list {
		if !all && !c.Running() {
			continue
		}
		if m.match(c) {
			out = append(out, summary(c))
		}
	}
	return out, nil
}

// psMatcher holds parsed filters; ancestors are resolved image IDs.
type psMatcher struct {
	f         map[string][]string
	ancestors map[string]bool
	// before/since are creation times of the referenced containers.
	before, since time.Time
}

func (e *Engine) newPSMatcher(ctx context.Context, filters map[string][]string) (*psMatcher, error) {
	m := &psMatcher{f: filters, ancestors: map[string]bool{}}
	for k, vals := range filters {
		if !psFilters[k] {
			return nil, fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalid)
		}
		if err := validatePSValues(k, vals); err != nil {
			return nil, err
		}
	}
	for _, a := range filters["ancestor"] {
		m.ancestors[a] = true
		if img, err := e.images.Get(ctx, a); err == nil {
			m.ancestors[img.ID.String()] = true
		}
	}
	return m, nil
}

func validatePSValues(k string, vals []string) error {
	for _, v := range vals {
		switch k {
		case "status":
			if err := ctypes.ValidateContainerState(ctypes.ContainerState(v)); err != nil {
				return fmt.Errorf("invalid filter 'status=%s': %w", v, errdefs.ErrInvalid)
			}
		case "health":
			if err := ctypes.ValidateHealthStatus(ctypes.HealthStatus(v)); err != nil {
				return fmt.Errorf("invalid filter 'health=%s': %w", v, errdefs.ErrInvalid)
			}
		case "exited":
			if _, err := strconv.Atoi(v); err != nil {
				return fmt.Errorf("invalid filter 'exited=%s': %w", v, errdefs.ErrInvalid)
			}
		}
	}
	return nil
}

// resolveBounds finds the containers before= and since= name.
func (m *psMatcher) resolveBounds(list []*container.Container) error {
	for _, k := range []string{"before", "since"} {
		for _, ref := range m.f[k] {
			c := findContainer(list, ref)
			if c == nil {
				return fmt.Errorf("No such container: %s: %w", ref, errdefs.ErrNotFound)
			}
			if k == "before" {
				m.before = c.Created
			} else {
				m.since = c.Created
			}
		}
	}
	return nil
}

// findContainer resolves ref (id, unique id prefix, name) in list.
func findContainer(list []*container.Container, ref string) *container.Container {
	ref = strings.TrimPrefix(ref, "/")
	var found *container.Container
	for _, c := range list {
		if c.ID == ref || c.Name == ref {
			return c
		}
		if strings.HasPrefix(c.ID, ref) {
			if found != nil {
				return nil
			}
			found = c
		}
	}
	return found
}

func (m *psMatcher) match(c *container.Container) bool {
	if !m.before.IsZero() && !c.Created.Before(m.before) {
		return false
	}
	if !m.since.IsZero() && !c.Created.After(m.since) {
		return false
	}
	for k, vals := range m.f {
		if len(vals) == 0 || k == "before" || k == "since" {
			continue
		}
		if k == "label" {
			if !matchAllLabels(containerLabels(c), vals) {
				return false
			}
			continue
		}
		if !anyValue(vals, func(v string) bool { return m.matchOne(c, k, v) }) {
			return false
		}
	}
	return true
}

func anyValue(vals []string, f func(string) bool) bool {
	for _, v := range vals {
		if f(v) {
			return true
		}
	}
	return false
}

func (m *psMatcher) matchOne(c *container.Container, k, v string) bool {
	switch k {
	case "id":
		return strings.HasPrefix(c.ID, v)
	case "name":
		return strings.Contains("/"+c.Name, v) || strings.Contains(c.Name, strings.TrimPrefix(v, "/"))
	case "status":
		return string(c.State.Status) == v
	case "exited":
		code, _ := strconv.Atoi(v)
		return c.State.Status == ctypes.StateExited && c.State.ExitCode == code
	case "ancestor":
		return m.ancestors[c.ImageID] || c.Image == v
	case "volume":
		for _, mp := range c.Mounts {
			if mp.Name == v || mp.Source == v || mp.Destination == v {
				return true
			}
		}
		return false
	case "health":
		return string(healthStatus(c)) == v
	case "network":
		if inspectNetworkMode(c) == v {
			return true
		}
		for name, es := range c.Networks {
			if name == v || es != nil && es.NetworkID != "" && strings.HasPrefix(es.NetworkID, v) {
				return true
			}
		}
		return false
	case "expose":
		return c.Config != nil && portListed(v, func(yield func(network.Port) bool) {
			for p := range c.Config.ExposedPorts {
				if !yield(p) {
					return
				}
			}
		})
	case "publish":
		// The live bindings, or (stopped) the ones asked for.
		return c.HostConfig != nil && portListed(v, func(yield func(network.Port) bool) {
			for _, pm := range []network.PortMap{c.Ports, c.HostConfig.PortBindings} {
				for p := range pm {
					if !yield(p) {
						return
					}
				}
			}
		})
	case "is-task":
		return v == "false" // no swarm: nothing is a task
	case "isolation":
		return v == "default"
	}
	return false
}

// portListed reports whether port v ("80", "80/udp", "8000-8080/tcp")
// covers one of ports (docker ps --filter expose=/publish=).
func portListed(v string, ports func(func(network.Port) bool)) bool {
	if !strings.Contains(v, "/") {
		v += "/tcp"
	}
	want, err := network.ParsePortRange(v)
	if err != nil {
		return false
	}
	found := false
	ports(func(p network.Port) bool {
		if p.Proto() == want.Proto() && p.Num() >= want.Start() && p.Num() <= want.End() {
			found = true
			return false
		}
		return true
	})
	return found
}

// matchAllLabels: every filter (key or key=value) must match.
func matchAllLabels(labels map[string]string, filters []string) bool {
	for _, f := range filters {
		k, v, hasV := strings.Cut(f, "=")
		got, ok := labels[k]
		if !ok || (hasV && got != v) {
			return false
		}
	}
	return true
}

func containerLabels(c *container.Container) map[string]string {
	if c.Config == nil {
		return nil
	}
	return c.Config.Labels
}

func healthStatus(c *container.Container) ctypes.HealthStatus {
	if c.State.Health == nil || c.State.Health.Status == "" {
		return ctypes.NoHealthcheck
	}
	return c.State.Health.Status
}

// summary is one ps row (GET /containers/json).
func summary(c *container.Container) ctypes.Summary {
	s := ctypes.Summary{
		ID:      c.ID,
		Names:   []string{"/" + c.Name},
		Image:   c.Image,
		ImageID: c.ImageID,
		Command: psCommand(c),
		Created: c.Created.Unix(),
		Ports:   []ctypes.PortSummary{},
		Labels:  containerLabels(c),
		State:   c.State.Status,
		Status:  container.StatusString(c, time.Now()),
		Mounts:  c.Mounts,
		NetworkSettings: &ctypes.NetworkSettingsSummary{
			Networks: map[string]*network.EndpointSettings{},
		},
	}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	if s.Mounts == nil {
		s.Mounts = []ctypes.MountPoint{}
	}
	if mode := inspectNetworkMode(c); mode != "" {
		s.HostConfig.NetworkMode = mode
		s.NetworkSettings.Networks = networkEntries(c)
	}
	if c.State.Health != nil {
		s.Health = &ctypes.HealthSummary{Status: c.State.Health.Status, FailingStreak: c.State.Health.FailingStreak}
	}
	s.Ports = publishedPorts(c)
	return s
}

// psCommand is the API's Command: argv joined by spaces (the CLI quotes
// and truncates it).
func psCommand(c *container.Container) string {
	return strings.TrimSpace(strings.Join(append([]string{c.Path}, c.Args...), " "))
}
