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
// image store counts them). Containers, volumes and build cache are zero
// until those subsystems exist; they fill their fields here.
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
	return out, nil
}
