package engine

import (
	"context"
	"fmt"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cpuPeriod is the CFS period --cpus is expressed in (docker's 100ms).
const cpuPeriod = 100000

func (e *Engine) updateContainer(ctx context.Context, ref string, u ctypes.UpdateConfig) ([]string, error) {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	var warnings []string
	c, err = e.containers.Update(c.ID, func(c *container.Container) error {
		r := c.HostConfig.Resources
		mergeResources(&r, &u.Resources)
		if err := validateResources(&r); err != nil {
			return err
		}
		if u.RestartPolicy.Name != "" {
			if c.HostConfig.AutoRemove && !u.RestartPolicy.IsNone() {
				return classed(errdefs.ErrInvalid, "Restart policy cannot be updated because AutoRemove is enabled for the container")
			}
			if err := ctypes.ValidateRestartPolicy(u.RestartPolicy); err != nil {
				return classed(errdefs.ErrInvalid, "%s", err.Error())
			}
			c.HostConfig.RestartPolicy = u.RestartPolicy
		}
		c.HostConfig.Resources = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !c.Running() || c.State.Restarting {
		return warnings, nil
	}
	d, err := e.driverOf(c)
	if err != nil {
		return warnings, err
	}
	if err := d.Update(c.ID, linuxResources(&c.HostConfig.Resources)); err != nil {
		return warnings, fmt.Errorf("updating %s: %w", shortID(c.ID), err)
	}
	return warnings, nil
}

// mergeResources copies the fields an update sets (docker: zero means
// "unchanged") into r.
func mergeResources(r, u *ctypes.Resources) {
	if u.Memory != 0 {
		r.Memory = u.Memory
	}
	if u.MemorySwap != 0 {
		r.MemorySwap = u.MemorySwap
	}
	if u.MemoryReservation != 0 {
		r.MemoryReservation = u.MemoryReservation
	}
	if u.NanoCPUs != 0 {
		r.NanoCPUs = u.NanoCPUs
	}
	if u.CPUShares != 0 {
		r.CPUShares = u.CPUShares
	}
	if u.CPUQuota != 0 {
		r.CPUQuota = u.CPUQuota
	}
	if u.CPUPeriod != 0 {
		r.CPUPeriod = u.CPUPeriod
	}
	if u.CpusetCpus != "" {
		r.CpusetCpus = u.CpusetCpus
	}
	if u.CpusetMems != "" {
		r.CpusetMems = u.CpusetMems
	}
	if u.PidsLimit != nil {
		r.PidsLimit = u.PidsLimit
	}
	if u.BlkioWeight != 0 {
		r.BlkioWeight = u.BlkioWeight
	}
}

// linuxResources is the OCI form of the updatable resources.
func linuxResources(r *ctypes.Resources) *specs.LinuxResources {
	out := &specs.LinuxResources{Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}}
	if r.Memory > 0 {
		out.Memory.Limit = &r.Memory
		// docker: without --memory-swap, swap may equal the memory limit.
		swap := r.Memory * 2
		if r.MemorySwap != 0 {
			swap = r.MemorySwap
		}
		out.Memory.Swap = &swap
	}
	if r.MemoryReservation > 0 {
		out.Memory.Reservation = &r.MemoryReservation
	}
	if r.CPUShares > 0 {
		shares := uint64(r.CPUShares)
		out.CPU.Shares = &shares
	}
	if r.NanoCPUs > 0 {
		period, quota := uint64(cpuPeriod), r.NanoCPUs*cpuPeriod/1e9
		out.CPU.Period, out.CPU.Quota = &period, &quota
	} else if r.CPUQuota > 0 {
		out.CPU.Quota = &r.CPUQuota
		if r.CPUPeriod > 0 {
			p := uint64(r.CPUPeriod)
			out.CPU.Period = &p
		}
	}
	out.CPU.Cpus, out.CPU.Mems = r.CpusetCpus, r.CpusetMems
	if r.PidsLimit != nil {
		limit := *r.PidsLimit
		if limit <= 0 {
			limit = -1 // docker: 0 and -1 mean unlimited
		}
		out.Pids = &specs.LinuxPids{Limit: &limit}
	}
	if r.BlkioWeight > 0 {
		w := r.BlkioWeight
		out.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	return out
}

func (e *Engine) renameContainer(ctx context.Context, ref, name string) error {
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	name = trimSlash(name)
	if name == "" {
		return classed(errdefs.ErrInvalid, "Neither old nor new names may be empty")
	}
	if name == c.Name {
		return classed(errdefs.ErrInvalid, "Renaming a container with the same name as its current name")
	}
	if err := e.containers.Rename(c.ID, name); err != nil {
		return err
	}
	// A running container's DNS names follow the rename at once.
	return e.renameEndpoint(c.ID, c.Name, name)
}
