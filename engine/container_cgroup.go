package engine

import (
	"errors"
	"fmt"

	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/container/spec"
	"github.com/onggi/onggi/runtime/cgroups"
)

// removeCgroup removes the cgroup of a container whose processes are gone,
// by the path its spec was given. A missing cgroup is not an error.
func removeCgroup(c *container.Container) error {
	p, err := spec.CgroupsPath(c.HostConfig.CgroupParent, c.ID)
	if err != nil {
		return err
	}
	m, err := cgroups.New(p, c.ID)
	if errors.Is(err, cgroups.ErrNotSupported) {
		return nil
	}
	if err == nil {
		err = m.Destroy()
	}
	if err != nil {
		return fmt.Errorf("removing cgroup %s: %w", p, err)
	}
	return nil
}
