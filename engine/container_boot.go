package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/onggi/onggi/container"
)

// boot reconciles every record (after a reboot their monitors are gone, so
// runs are settled as exited) and starts the containers whose policy wants
// them up: always, and unless-stopped when not stopped by the user.
func (e *Engine) boot(ctx context.Context) ([]string, error) {
	list, err := e.listContainers(ctx)
	if err != nil {
		return nil, err
	}
	var started []string
	var errs []error
	for _, c := range list {
		if c.Running() || !bootWanted(c) {
			continue
		}
		if _, err := e.startContainer(ctx, c.ID, nil); err != nil {
			errs = append(errs, fmt.Errorf("starting %s: %w", shortID(c.ID), err))
			continue
		}
		started = append(started, c.ID)
	}
	return started, errors.Join(errs...)
}

func bootWanted(c *container.Container) bool {
	if c.HostConfig == nil {
		return false
	}
	p := c.HostConfig.RestartPolicy
	return p.IsAlways() || (p.IsUnlessStopped() && !c.ManuallyStopped)
}
