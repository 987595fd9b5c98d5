package engine

import (
	"context"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
)

func (e *Engine) pruneContainers(ctx context.Context, filters map[string][]string) (ContainerPruneReport, error) {
	rep := ContainerPruneReport{ContainersDeleted: []string{}}
	match, err := containerPruneFilter(filters, time.Now())
	if err != nil {
		return rep, err
	}
	list, err := e.listContainers(ctx)
	if err != nil {
		return rep, err
	}
	for _, c := range list {
		if !prunable(c) || !match(c) {
			continue
		}
		size, _ := e.images.Snapshots().Usage(ctx, c.SnapshotKey)
		if err := e.removeStopped(ctx, c.ID, false); err != nil {
			e.logf("container prune: %s: %v", shortID(c.ID), err)
			continue
		}
		rep.ContainersDeleted = append(rep.ContainersDeleted, c.ID)
		if size > 0 {
			rep.SpaceReclaimed += uint64(size)
		}
	}
	return rep, nil
}

func prunable(c *container.Container) bool {
	switch c.State.Status {
	case ctypes.StateExited, ctypes.StateCreated, ctypes.StateDead:
		return true
	}
	return false
}

// containerPruneFilter reads docker's until=, label= and label!= filters.
func containerPruneFilter(f map[string][]string, now time.Time) (func(*container.Container) bool, error) {
	var until []time.Time
	for k, vals := range f {
		switch k {
		case "until":
			for _, v := range vals {
				t, err := parseUntil(v, now)
				if err != nil {
					return nil, err
				}
				until = append(until, t)
			}
		case "label", "label!":
		default:
			return nil, classed(errdefs.ErrInvalid, "invalid filter '%s'", k)
		}
	}
	return func(c *container.Container) bool {
		for _, t := range until {
			if !c.Created.Before(t) {
				return false
			}
		}
		var labels map[string]string
		if c.Config != nil {
			labels = c.Config.Labels
		}
		if !matchLabels(labels, f["label"]) {
			return false
		}
		for _, l := range f["label!"] {
			if matchLabels(labels, []string{l}) {
				return false
			}
		}
		return true
	}, nil
}
