package engine

import (
	"context"

	"github.com/onggi/onggi/volume"
)

// CreateVolume is `volume create`.
func (e *Engine) CreateVolume(ctx context.Context, o volume.CreateOptions) (*volume.Volume, error) {
	return e.createVolume(ctx, o)
}

// VolumeInfo is a volume with the containers using it (ls --filter
// dangling=, prune, inspect) and its size when asked (system df -v).
type VolumeInfo struct {
	*volume.Volume
	UsedBy []string
	Size   int64 // -1 when not computed
}

// ListVolumes is `volume ls` (filters: dangling, name, label, driver).
func (e *Engine) ListVolumes(ctx context.Context, filters map[string][]string) ([]VolumeInfo, error) {
	return e.listVolumes(ctx, filters)
}

// InspectVolume is `volume inspect`.
func (e *Engine) InspectVolume(ctx context.Context, name string) (VolumeInfo, error) {
	return e.inspectVolume(ctx, name)
}

// RemoveVolume is `volume rm` (in use: errdefs.ErrInUse with docker's
// message; force removes a volume even if missing).
func (e *Engine) RemoveVolume(ctx context.Context, name string, force bool) error {
	return e.removeVolume(ctx, name, force)
}

// VolumePruneReport is volume prune's result.
type VolumePruneReport struct {
	VolumesDeleted []string
	SpaceReclaimed uint64
}

// PruneVolumes removes unused volumes: anonymous ones only unless all
// (docker 23+), filtered by label=.
func (e *Engine) PruneVolumes(ctx context.Context, all bool, filters map[string][]string) (VolumePruneReport, error) {
	return e.pruneVolumes(ctx, all, filters)
}
