package engine

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/volume"
)

// resolveMounts turns -v (Binds), --mount (Mounts) and the image's VOLUME
// entries into c.Mounts, creating missing named and anonymous volumes
// (recorded in undo so a failed create removes them).
func (e *Engine) resolveMounts(c *container.Container, undo *createUndo) error {
	seen := map[string]bool{}
	add := func(mp ctypes.MountPoint) error {
		if seen[mp.Destination] {
			return classed(errdefs.ErrInvalid, "Duplicate mount point: %s", mp.Destination)
		}
		seen[mp.Destination] = true
		c.Mounts = append(c.Mounts, mp)
		return nil
	}
	for _, b := range c.HostConfig.Binds {
		mp, err := e.parseBind(b, c, undo)
		if err != nil {
			return err
		}
		if err := add(mp); err != nil {
			return err
		}
	}
	for _, m := range c.HostConfig.Mounts {
		mp, err := e.parseMount(m, c, undo)
		if err != nil {
			return err
		}
		if err := add(mp); err != nil {
			return err
		}
	}
	for dst := range c.Config.Volumes {
		dst = path.Clean(dst)
		if seen[dst] || !path.IsAbs(dst) {
			continue
		}
		v, err := e.volumeFor("", nil, c, undo)
		if err != nil {
			return err
		}
		_ = add(volumeMountPoint(v, dst, "", true))
	}
	return nil
}

// parseBind reads one -v spec: /host:/ctr[:opts], name:/ctr[:opts] or /ctr.
func (e *Engine) parseBind(spec string, c *container.Container, undo *createUndo) (ctypes.MountPoint, error) {
	bad := classed(errdefs.ErrInvalid, "invalid volume specification: '%s'", spec)
	parts := strings.Split(spec, ":")
	var src, dst, mode string
	switch len(parts) {
	case 1:
		dst = parts[0]
	case 2:
		src, dst = parts[0], parts[1]
	case 3:
		src, dst, mode = parts[0], parts[1], parts[2]
	default:
		return ctypes.MountPoint{}, bad
	}
	if !path.IsAbs(dst) || dst == "/" || src == "" && len(parts) > 1 {
		return ctypes.MountPoint{}, bad
	}
	dst = path.Clean(dst)
	rw, prop, nocopy, err := parseMode(mode)
	if err != nil {
		return ctypes.MountPoint{}, classed(errdefs.ErrInvalid, "invalid mode: %s", mode)
	}
	if src != "" && filepath.IsAbs(src) {
		// docker creates a missing host directory for -v (not for --mount).
		src = filepath.Clean(src)
		if err := os.MkdirAll(src, 0o755); err != nil {
			return ctypes.MountPoint{}, fmt.Errorf("creating bind source %s: %w", src, err)
		}
		if prop == "" {
			prop = mount.PropagationRPrivate
		}
		return ctypes.MountPoint{Type: mount.TypeBind, Source: src, Destination: dst, Mode: mode, RW: rw, Propagation: prop}, nil
	}
	if prop != "" {
		return ctypes.MountPoint{}, bad
	}
	v, err := e.volumeFor(src, nil, c, undo)
	if err != nil {
		return ctypes.MountPoint{}, err
	}
	if src == "" {
		mode = ""
	} else if mode == "" {
		mode = "z"
	}
	mp := volumeMountPoint(v, dst, mode, rw)
	if nocopy && !strings.Contains(mp.Mode, "nocopy") {
		mp.Mode += ",nocopy"
	}
	return mp, nil
}

// parseMode reads -v's comma-separated options.
func parseMode(mode string) (rw bool, prop mount.Propagation, nocopy bool, err error) {
	rw = true
	if mode == "" {
		return rw, "", false, nil
	}
	for _, o := range strings.Split(mode, ",") {
		switch o {
		case "ro":
			rw = false
		case "rw", "z", "Z", "":
		case "nocopy":
			nocopy = true
		case "private", "rprivate", "shared", "rshared", "slave", "rslave":
			prop = mount.Propagation(o)
		default:
			return false, "", false, errdefs.ErrInvalid
		}
	}
	return rw, prop, nocopy, nil
}

// parseMount reads one --mount (docker's mount.Mount).
func (e *Engine) parseMount(m mount.Mount, c *container.Container, undo *createUndo) (ctypes.MountPoint, error) {
	if !path.IsAbs(m.Target) || m.Target == "/" {
		return ctypes.MountPoint{}, classed(errdefs.ErrInvalid, "invalid mount config for type %q: invalid mount path: '%s' mount path must be absolute", m.Type, m.Target)
	}
	dst := path.Clean(m.Target)
	switch m.Type {
	case mount.TypeBind:
		if !filepath.IsAbs(m.Source) {
			return ctypes.MountPoint{}, classed(errdefs.ErrInvalid, "invalid mount config for type \"bind\": invalid mount path: '%s' mount path must be absolute", m.Source)
		}
		if _, err := os.Stat(m.Source); err != nil {
			return ctypes.MountPoint{}, classed(errdefs.ErrInvalid, "invalid mount config for type \"bind\": bind source path does not exist: %s", m.Source)
		}
		prop := mount.PropagationRPrivate
		if m.BindOptions != nil && m.BindOptions.Propagation != "" {
			prop = m.BindOptions.Propagation
		}
		return ctypes.MountPoint{Type: mount.TypeBind, Source: filepath.Clean(m.Source), Destination: dst, RW: !m.ReadOnly, Propagation: prop}, nil
	case mount.TypeVolume:
		var labels map[string]string
		mode := "z"
		if m.VolumeOptions != nil {
			labels = m.VolumeOptions.Labels
			if m.VolumeOptions.NoCopy {
				mode = "z,nocopy"
			}
		}
		v, err := e.volumeFor(m.Source, labels, c, undo)
		if err != nil {
			return ctypes.MountPoint{}, err
		}
		return volumeMountPoint(v, dst, mode, !m.ReadOnly), nil
	case mount.TypeTmpfs:
		if m.Source != "" {
			return ctypes.MountPoint{}, classed(errdefs.ErrInvalid, "invalid mount config for type \"tmpfs\": source must not be specified")
		}
		return ctypes.MountPoint{Type: mount.TypeTmpfs, Destination: dst, RW: !m.ReadOnly}, nil
	}
	return ctypes.MountPoint{}, classed(errdefs.ErrInvalid, "invalid mount config: mount type %q is not supported", m.Type)
}

// volumeFor returns the named volume (created if missing) or, for an
// empty name, a new anonymous volume recorded in c.AnonymousVolumes.
func (e *Engine) volumeFor(name string, labels map[string]string, c *container.Container, undo *createUndo) (*volume.Volume, error) {
	if name != "" {
		v, err := e.volumes.Get(name)
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, errdefs.ErrNotFound) {
			return nil, err
		}
	}
	v, err := e.volumes.Create(volume.CreateOptions{Name: name, Labels: labels, Anonymous: name == ""})
	if err != nil {
		return nil, err
	}
	undo.volumes = append(undo.volumes, v.Name)
	if name == "" {
		c.AnonymousVolumes = append(c.AnonymousVolumes, v.Name)
	}
	return v, nil
}

func volumeMountPoint(v *volume.Volume, dst, mode string, rw bool) ctypes.MountPoint {
	return ctypes.MountPoint{Type: mount.TypeVolume, Name: v.Name, Source: v.Mountpoint, Destination: dst, Driver: "local", Mode: mode, RW: rw}
}
