package engine

// TEMPORARY stubs (issue 4 in progress): each owner deletes a stub as it
// implements the function in container_*.go. Must be empty before commit.

import (
	"context"
	"errors"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/monitor"
)

var errNotYet = errors.New("not implemented yet")

func (e *Engine) createContainer(ctx context.Context, o CreateOptions) (*container.Container, []string, error) {
	return nil, nil, errNotYet
}
func (e *Engine) startContainer(ctx context.Context, ref string, a *Streams) (*monitor.Session, error) {
	return nil, errNotYet
}
func (e *Engine) attachContainer(ctx context.Context, ref string, a *Streams) (*monitor.Session, error) {
	return nil, errNotYet
}
func (e *Engine) stopContainer(ctx context.Context, ref string, t *time.Duration, sig string) error {
	return errNotYet
}
func (e *Engine) restartContainer(ctx context.Context, ref string, t *time.Duration, sig string) error {
	return errNotYet
}
func (e *Engine) killContainer(ctx context.Context, ref, sig string) error { return errNotYet }
func (e *Engine) removeContainer(ctx context.Context, ref string, o RemoveOptions) error {
	return errNotYet
}
func (e *Engine) waitContainer(ctx context.Context, ref string) (int, error)    { return 0, errNotYet }
func (e *Engine) pauseContainer(ctx context.Context, ref string, on bool) error { return errNotYet }
func (e *Engine) updateContainer(ctx context.Context, ref string, u ctypes.UpdateConfig) ([]string, error) {
	return nil, errNotYet
}
func (e *Engine) renameContainer(ctx context.Context, ref, name string) error { return errNotYet }
func (e *Engine) getContainer(ctx context.Context, ref string) (*container.Container, error) {
	return nil, errNotYet
}
func (e *Engine) listContainers(ctx context.Context) ([]*container.Container, error) {
	return nil, errNotYet
}
func (e *Engine) pruneContainers(ctx context.Context, f map[string][]string) (ContainerPruneReport, error) {
	return ContainerPruneReport{}, errNotYet
}
func (e *Engine) boot(ctx context.Context) ([]string, error) { return nil, errNotYet }
