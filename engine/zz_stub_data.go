package engine

// TEMPORARY stubs (issue 4 in progress): each owner deletes a stub as it
// implements the function. Must be empty before commit.

import (
	"context"
	"io"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/volume"
)

func (e *Engine) inspectContainer(ctx context.Context, ref string) (*ctypes.InspectResponse, error) {
	return nil, errNotYet
}
func (e *Engine) containerSummaries(ctx context.Context, all bool, f map[string][]string) ([]ctypes.Summary, error) {
	return nil, errNotYet
}
func (e *Engine) containerLogs(ctx context.Context, ref string, o LogsOptions) error {
	return errNotYet
}
func (e *Engine) execContainer(ctx context.Context, ref string, o ExecOptions) (int, error) {
	return 0, errNotYet
}
func (e *Engine) topContainer(ctx context.Context, ref, ps string) (*ctypes.TopResponse, error) {
	return nil, errNotYet
}
func (e *Engine) containerStats(ctx context.Context, ref string) (*ctypes.StatsResponse, error) {
	return nil, errNotYet
}
func (e *Engine) copyFromContainer(ctx context.Context, ref, src string, w io.Writer) (ctypes.PathStat, error) {
	return ctypes.PathStat{}, errNotYet
}
func (e *Engine) copyToContainer(ctx context.Context, ref, dst string, r io.Reader) error {
	return errNotYet
}
func (e *Engine) statContainerPath(ctx context.Context, ref, p string) (ctypes.PathStat, error) {
	return ctypes.PathStat{}, errNotYet
}
func (e *Engine) commitContainer(ctx context.Context, ref string, o CommitOptions) (*image.Image, error) {
	return nil, errNotYet
}
func (e *Engine) exportContainer(ctx context.Context, ref string, w io.Writer) error {
	return errNotYet
}
func (e *Engine) diffContainer(ctx context.Context, ref string) ([]ctypes.FilesystemChange, error) {
	return nil, errNotYet
}
func (e *Engine) containerPorts(ctx context.Context, ref string) ([]ctypes.PortSummary, error) {
	return nil, errNotYet
}
func (e *Engine) createVolume(ctx context.Context, o volume.CreateOptions) (*volume.Volume, error) {
	return nil, errNotYet
}
func (e *Engine) listVolumes(ctx context.Context, f map[string][]string) ([]VolumeInfo, error) {
	return nil, errNotYet
}
func (e *Engine) inspectVolume(ctx context.Context, name string) (VolumeInfo, error) {
	return VolumeInfo{}, errNotYet
}
func (e *Engine) removeVolume(ctx context.Context, name string, force bool) error { return errNotYet }
func (e *Engine) pruneVolumes(ctx context.Context, all bool, f map[string][]string) (VolumePruneReport, error) {
	return VolumePruneReport{}, errNotYet
}
