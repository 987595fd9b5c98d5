package engine

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/storage"
	"github.com/onggi/onggi/container"
)

// inspectContainer shapes the record as docker's GET /containers/{id}/json.
func (e *Engine) inspectContainer(ctx context.Context, ref string) (*ctypes.InspectResponse, error) {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	dir := e.containers.Dir(c.ID)
	st := c.State
	r := &ctypes.InspectResponse{
		ID:              c.ID,
		Created:         c.Created.UTC().Format(time.RFC3339Nano),
		Path:            c.Path,
		Args:            nonNilStrings(c.Args),
		State:           &st,
		Image:           c.ImageID,
		ResolvConfPath:  filepath.Join(dir, "resolv.conf"),
		HostnamePath:    filepath.Join(dir, "hostname"),
		HostsPath:       filepath.Join(dir, "hosts"),
		LogPath:         c.LogPath,
		Name:            "/" + c.Name,
		RestartCount:    c.RestartCount,
		Driver:          e.containerDriver(c),
		Platform:        "linux",
		HostConfig:      c.HostConfig,
		Mounts:          c.Mounts,
		Config:          c.Config,
		NetworkSettings: e.inspectNetworkSettings(c),
		GraphDriver:     e.graphDriver(ctx, c),
	}
	if r.Mounts == nil {
		r.Mounts = []ctypes.MountPoint{}
	}
	if r.HostConfig == nil {
		r.HostConfig = &ctypes.HostConfig{}
	}
	if r.Config == nil {
		r.Config = &ctypes.Config{}
	}
	return r, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// inspectNetworkSettings is docker's NetworkSettings: an entry per network
// (none and host get one named after the mode, container:<id> none), the
// live endpoints and port bindings while the container runs (exposed but
// unpublished ports as null, as docker shows them), and the netns file as
// SandboxKey.
func (e *Engine) inspectNetworkSettings(c *container.Container) *ctypes.NetworkSettings {
	ns := &ctypes.NetworkSettings{
		Ports:    network.PortMap{},
		Networks: networkEntries(c),
	}
	if !c.Running() {
		return ns
	}
	for p, b := range c.Ports {
		ns.Ports[p] = b
	}
	if c.Config != nil && isBridgeMode(c.HostConfig) {
		for p := range c.Config.ExposedPorts {
			if _, ok := ns.Ports[p]; !ok {
				ns.Ports[p] = nil
			}
		}
	}
	if isBridgeMode(c.HostConfig) && len(c.Networks) > 0 {
		ns.SandboxKey = e.netnsPath(c.ID)
		ns.SandboxID = sha256hex("sandbox" + c.ID)
	}
	return ns
}

// networkEntries are the container's networks as inspect and ps show them.
func networkEntries(c *container.Container) map[string]*network.EndpointSettings {
	out := map[string]*network.EndpointSettings{}
	mode := inspectNetworkMode(c)
	switch {
	case mode == "" || c.HostConfig.NetworkMode.IsContainer():
	case c.HostConfig.NetworkMode.IsNone() || c.HostConfig.NetworkMode.IsHost():
		out[mode] = &network.EndpointSettings{}
	default:
		for name, es := range c.Networks {
			if es == nil {
				es = &network.EndpointSettings{}
			}
			out[name] = es.Copy()
		}
	}
	return out
}

// inspectNetworkMode is the container's network mode with docker's default
// spelled out ("default" is the bridge).
func inspectNetworkMode(c *container.Container) string {
	if c.HostConfig == nil {
		return ""
	}
	m := string(c.HostConfig.NetworkMode)
	if m == "default" {
		return "bridge"
	}
	return m
}

// graphDriver reports the snapshot's directories when the mounts name them
// (overlay: lowerdir/upperdir/workdir options), as docker's overlay2 does.
func (e *Engine) graphDriver(ctx context.Context, c *container.Container) *storage.DriverData {
	d := &storage.DriverData{Name: e.containerDriver(c), Data: map[string]string{}}
	key := c.SnapshotKey
	if key == "" {
		key = c.ID
	}
	ms, err := e.images.Snapshots().Mounts(ctx, key)
	if err != nil {
		return d
	}
	d.Data["MergedDir"] = e.dataRootfs(c.ID)
	for _, m := range ms {
		for _, o := range m.Options {
			k, v, ok := strings.Cut(o, "=")
			if !ok {
				continue
			}
			switch k {
			case "lowerdir":
				d.Data["LowerDir"] = v
			case "upperdir":
				d.Data["UpperDir"] = v
			case "workdir":
				d.Data["WorkDir"] = v
			}
		}
		if m.Type == "bind" {
			d.Data["UpperDir"] = m.Source
		}
	}
	return d
}

// dataBundleDir is the runtime bundle of a container (config.json, rootfs).
func (e *Engine) dataBundleDir(id string) string {
	return filepath.Join(e.runroot, "containers", id, "bundle")
}

// dataRootfs is where a running container's rootfs is mounted.
func (e *Engine) dataRootfs(id string) string {
	return filepath.Join(e.dataBundleDir(id), "rootfs")
}

// containerDriver is the snapshot driver of c (records from before the
// field existed fall back to the store's).
func (e *Engine) containerDriver(c *container.Container) string {
	if c.Driver != "" {
		return c.Driver
	}
	return e.images.Snapshots().Driver()
}
