package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/mount"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/volume"
)

func (e *Engine) createVolume(ctx context.Context, o volume.CreateOptions) (*volume.Volume, error) {
	return e.volumes.Create(o)
}

// volumeUsers maps volume names to the ids of the containers mounting them
// (any state: docker counts stopped containers as users).
func (e *Engine) volumeUsers() (map[string][]string, error) {
	list, err := e.containers.List()
	if err != nil {
		return nil, err
	}
	users := map[string][]string{}
	for _, c := range list {
		for _, m := range c.Mounts {
			if m.Type == mount.TypeVolume && m.Name != "" {
				users[m.Name] = append(users[m.Name], c.ID)
			}
		}
	}
	return users, nil
}

var volumeFilters = map[string]bool{"dangling": true, "name": true, "label": true, "driver": true}

func (e *Engine) listVolumes(ctx context.Context, filters map[string][]string) ([]VolumeInfo, error) {
	for k, vals := range filters {
		if !volumeFilters[k] {
			return nil, fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalid)
		}
		if k == "dangling" {
			for _, v := range vals {
				if _, ok := parseBoolFilter(v); !ok {
					return nil, fmt.Errorf("invalid filter 'dangling=%s': %w", v, errdefs.ErrInvalid)
				}
			}
		}
	}
	vols, err := e.volumes.List()
	if err != nil {
		return nil, err
	}
	users, err := e.volumeUsers()
	if err != nil {
		return nil, err
	}
	out := []VolumeInfo{}
	for _, v := range vols {
		vi := VolumeInfo{Volume: v, UsedBy: users[v.Name], Size: -1}
		if matchVolume(vi, filters) {
			out = append(out, vi)
		}
	}
	return out, nil
}

// parseBoolFilter accepts docker's spellings of dangling=.
func parseBoolFilter(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// matchVolume: each key must match; values of one key: any (labels: all).
func matchVolume(vi VolumeInfo, filters map[string][]string) bool {
	for k, vals := range filters {
		if len(vals) == 0 {
			continue
		}
		if k == "label" {
			if !matchAllLabels(vi.Labels, vals) {
				return false
			}
			continue
		}
		ok := anyValue(vals, func(v string) bool {
			switch k {
			case "dangling":
				want, _ := parseBoolFilter(v)
				return want == (len(vi.UsedBy) == 0)
			case "name":
				return strings.Contains(vi.Name, v)
			case "driver":
				return vi.Driver == v
			}
			return false
		})
		if !ok {
			return false
		}
	}
	return true
}

func (e *Engine) inspectVolume(ctx context.Context, name string) (VolumeInfo, error) {
	v, err := e.volumes.Get(name)
	if err != nil {
		return VolumeInfo{}, err
	}
	users, err := e.volumeUsers()
	if err != nil {
		return VolumeInfo{}, err
	}
	return VolumeInfo{Volume: v, UsedBy: users[name], Size: -1}, nil
}

// removeVolume refuses a volume any container record mounts (docker's
// "remove x: volume is in use - [ids]"), force or not; force only makes a
// missing volume a success.
func (e *Engine) removeVolume(ctx context.Context, name string, force bool) error {
	if _, err := e.volumes.Get(name); err != nil {
		if force && errors.Is(err, errdefs.ErrNotFound) {
			return nil
		}
		return err
	}
	unlock, err := e.volumes.Lock(name)
	if err != nil {
		return err
	}
	defer unlock()
	users, err := e.volumeUsers()
	if err != nil {
		return err
	}
	if ids := users[name]; len(ids) > 0 {
		sort.Strings(ids)
		return fmt.Errorf("remove %s: volume is in use - [%s]: %w", name, strings.Join(ids, ", "), errdefs.ErrInUse)
	}
	return e.volumes.Remove(name)
}

// pruneVolumes removes unused volumes: anonymous ones only unless all
// (docker 23+), narrowed by label=/label!= filters.
func (e *Engine) pruneVolumes(ctx context.Context, all bool, filters map[string][]string) (VolumePruneReport, error) {
	rep := VolumePruneReport{VolumesDeleted: []string{}}
	for k := range filters {
		if k != "label" && k != "label!" && k != "all" {
			return rep, fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalid)
		}
	}
	for _, v := range filters["all"] {
		if b, ok := parseBoolFilter(v); ok && b {
			all = true
		}
	}
	vols, err := e.listVolumes(ctx, map[string][]string{"dangling": {"true"}})
	if err != nil {
		return rep, err
	}
	for _, vi := range vols {
		if !all && !vi.Anonymous {
			continue
		}
		if !matchAllLabels(vi.Labels, filters["label"]) || matchAnyLabel(vi.Labels, filters["label!"]) {
			continue
		}
		size, _ := e.volumes.Size(vi.Volume)
		if err := e.removeVolume(ctx, vi.Name, false); err != nil {
			if errors.Is(err, errdefs.ErrInUse) {
				continue // a container took it meanwhile
			}
			return rep, err
		}
		rep.VolumesDeleted = append(rep.VolumesDeleted, vi.Name)
		if size > 0 {
			rep.SpaceReclaimed += uint64(size)
		}
	}
	return rep, nil
}

// matchAnyLabel reports whether any of filters (key or key=value) matches.
func matchAnyLabel(labels map[string]string, filters []string) bool {
	for _, f := range filters {
		if matchAllLabels(labels, []string{f}) {
			return true
		}
	}
	return false
}
