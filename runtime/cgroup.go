package runtime

import (
	"github.com/onggi/onggi/runtime/cgroups"
)

// cgroupManager is the container cgroup driver (cgroups.Manager).
type cgroupManager = cgroups.Manager

func cgroupNew(path, id string, systemd bool) (cgroups.Manager, error) {
	return cgroups.New(path, id, cgroups.WithSystemd(systemd))
}

func cgroupLoad(paths map[string]string, systemd bool) (cgroups.Manager, error) {
	return cgroups.Load(paths, cgroups.WithSystemd(systemd))
}
