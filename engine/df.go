package engine

import (
	"context"
)

// DiskUsage is `system df`'s data, shaped like docker's GET /system/df.
type DiskUsage struct {
	Images          []ImageUsage
	ImagesSize      int64 // bytes of blobs and unpacked layers, shared ones once
	ImagesActive    int   // images some container uses
	ImagesReclaim   int64 // bytes no container's image needs
	Containers      int
	ContainersSize  int64
	Volumes         int
	VolumesSize     int64
	BuildCacheSize  int64
	BuildCacheCount int
}

// ImageUsage is one image in `system df -v`.
type ImageUsage struct {
	ImageSummary
	UniqueSize int64
}

// DiskUsage adds up what images take (blobs plus unpacked layers, as the
// image store counts them), containers (their writable layers) and volumes.
// Build cache is zero until the builder exists.
func (e *Engine) DiskUsage(ctx context.Context) (*DiskUsage, error) {
	du, err := e.images.DiskUsage(ctx)
	if err != nil {
		return nil, err
	}
	out := &DiskUsage{Images: []ImageUsage{}, ImagesSize: du.TotalSize, ImagesActive: du.Active, ImagesReclaim: du.Reclaimable}
	for _, u := range du.Images {
		s := summarize(u.Image)
		s.Size, s.SharedSize = u.Size, u.SharedSize
		s.Containers = int64(len(e.imageUsers(u.Image.ID)))
		out.Images = append(out.Images, ImageUsage{ImageSummary: s, UniqueSize: u.Size - u.SharedSize})
	}
	if err := e.containersUsage(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// containersUsage fills the containers and volumes lines.
func (e *Engine) containersUsage(ctx context.Context, out *DiskUsage) error {
	list, err := e.containers.List()
	if err != nil {
		return err
	}
	out.Containers = len(list)
	for _, c := range list {
		if n, err := e.images.Snapshots().Usage(ctx, c.SnapshotKey); err == nil {
			out.ContainersSize += n
		}
	}
	vols, err := e.volumes.List()
	if err != nil {
		return err
	}
	out.Volumes = len(vols)
	for _, v := range vols {
		if n, err := e.volumes.Size(v); err == nil {
			out.VolumesSize += n
		}
	}
	return nil
}
