package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/container/spec"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image/snapshot"
	"github.com/onggi/onggi/monitor"
	"github.com/onggi/onggi/runtime"
	"github.com/onggi/onggi/runtime/driver"
	"github.com/onggi/onggi/volume"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (e *Engine) startContainer(ctx context.Context, ref string, a *Streams) (*monitor.Session, error) {
	defer Span("start")()
	endGet := Span("start.get")
	c, err := e.getContainer(ctx, ref)
	endGet()
	if err != nil {
		return nil, err
	}
	switch {
	case c.State.Paused:
		return nil, classed(errdefs.ErrConflict, "cannot start a paused container, try unpause instead")
	case c.Running():
		if a != nil {
			return e.monitorClient().Attach(ctx, c.ID, a)
		}
		return nil, nil
	case c.State.Status == ctypes.StateRemoving || c.State.Status == ctypes.StateDead:
		return nil, classed(errdefs.ErrConflict, "container %s is marked for removal and cannot be started", shortID(c.ID))
	}
	if c.ManuallyStopped || c.RestartCount != 0 {
		// A user start re-arms the restart policy (docker resets its
		// restart manager).
		c, err = e.containers.Update(c.ID, func(c *container.Container) error {
			c.ManuallyStopped, c.RestartCount = false, 0
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return e.runContainer(ctx, c, a)
}

// runContainer mounts the rootfs, writes the bundle and hands the
// container to the monitor. It is the hot path of `run`: it reads only the
// snapshot's mount data and the volumes the container uses.
func (e *Engine) runContainer(ctx context.Context, c *container.Container, a *Streams) (_ *monitor.Session, retErr error) {
	rootfs := e.rootfsPath(c.ID)
	monitorUp := e.prewarmMonitor()
	defer monitorUp() // never leave the spawn running on an error return
	endMount := Span("start.mount-rootfs")
	if err := e.mountRootfs(ctx, c, rootfs); err != nil {
		return nil, err
	}
	endMount()
	defer func() {
		if retErr != nil {
			e.startFailed(c.ID, rootfs, retErr)
		}
	}()
	mounts, err := e.startMounts(c, rootfs)
	if err != nil {
		return nil, err
	}
	endNet := Span("start.network")
	ns, err := e.startNetworking(ctx, c)
	endNet()
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil && ns.ep != nil {
			e.teardownEndpoint(ns.ep, nil)
		}
	}()
	dir := ns.etcDir
	endSpec := Span("start.spec")
	sp, err := spec.Generate(spec.Input{
		ID: c.ID, Config: ns.config, HostConfig: c.HostConfig, Rootfs: rootfs, Mounts: mounts,
		EtcFiles: map[string]string{
			"/etc/hostname":    filepath.Join(dir, "hostname"),
			"/etc/hosts":       filepath.Join(dir, "hosts"),
			"/etc/resolv.conf": filepath.Join(dir, "resolv.conf"),
		},
		CgroupParent: c.HostConfig.CgroupParent,
		NetNSPath:    ns.netns,
	})
	if err != nil {
		return nil, err
	}
	Mark("start.spec-generated")
	if c.Runtime != defaultRuntime {
		// Distribution runtimes reject versions newer than they know
		// (crun 1.8 accepts only 1.0 and 1.1); every field onggi sets
		// exists in 1.0.2, which runc 1.1 reports as its own.
		sp.Version = externalSpecVersion
	}
	b, err := json.Marshal(sp)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(e.bundlePath(c.ID), "config.json"), b, 0o600); err != nil {
		return nil, fmt.Errorf("writing bundle of %s: %w", shortID(c.ID), err)
	}
	endSpec()
	ms, err := e.monitorSpec(c)
	if err != nil {
		return nil, err
	}
	monitorUp()
	return e.startMonitored(ctx, ms, a)
}

// prewarmMonitor starts spawning this runroot's monitor when none is
// there (its socket is missing: the monitor removes it when it exits), so
// that its start-up (~5 ms: exec, Go start-up, engine.New) overlaps the
// rootfs mount and the spec rather than following them. The result waits
// for the spawn; with a monitor already there it returns at once. A
// failed spawn is not reported here: the client's own spawn reports it.
func (e *Engine) prewarmMonitor() (wait func()) {
	if _, err := os.Lstat(filepath.Join(e.runroot, "monitor", "monitor.sock")); err == nil {
		return noSpan
	}
	end := Span("monitor.prewarm")
	ready, err := e.launchMonitor()
	if err != nil {
		end()
		return noSpan
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = ready()
			end()
		})
	}
}

// startMonitored hands the container to the monitor. A monitor that is
// idle-exiting refuses with ErrUnavailable; the next try spawns a new one.
func (e *Engine) startMonitored(ctx context.Context, ms monitor.Spec, a *Streams) (*monitor.Session, error) {
	defer Span("start.monitor-start")()
	for try := 0; ; try++ {
		s, err := e.monitorClient().Start(ctx, ms, a)
		if err == nil || try == 3 || !errors.Is(err, errdefs.ErrUnavailable) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(10<<try) * time.Millisecond):
		}
	}
}

// externalSpecVersion is the ociVersion written for runtime binaries.
const externalSpecVersion = "1.0.2"

func (e *Engine) mountRootfs(ctx context.Context, c *container.Container, rootfs string) error {
	sms, err := e.images.Snapshots().Mounts(ctx, c.SnapshotKey)
	if err != nil {
		return fmt.Errorf("rootfs of %s: %w", shortID(c.ID), err)
	}
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return fmt.Errorf("rootfs of %s: %w", shortID(c.ID), err)
	}
	ms := driverMounts(sms)
	clearVolatileMarker(ms)
	if c.HostConfig != nil && c.HostConfig.AutoRemove && volatileOverlay(ms) {
		if err := driver.MountRootfs(rootfs, ms); err == nil {
			return nil
		}
		ms = driverMounts(sms) // a kernel before 5.10: no volatile
	}
	if err := driver.MountRootfs(rootfs, ms); err != nil {
		return fmt.Errorf("mounting rootfs of %s: %w", shortID(c.ID), err)
	}
	return nil
}

// volatileOverlay adds "volatile" to the overlay mount of a --rm
// container (podman does the same): its writable layer is deleted when it
// exits, so syncing it is wasted, and without the option unmounting the
// overlay syncs the whole upper filesystem (every dirty inode of the
// host's /var/lib), ~0.6 ms on an idle host and far more on a busy one.
func volatileOverlay(ms []driver.Mount) bool {
	if len(ms) != 1 || ms[0].Type != "overlay" {
		return false
	}
	ms[0].Options = append(ms[0].Options[:len(ms[0].Options):len(ms[0].Options)], "volatile")
	return true
}

// clearVolatileMarker deletes the marker (<workdir>/work/incompat/volatile)
// a volatile mount leaves, with which overlay refuses to mount that upper
// again. A container mounts its rootfs again only when it is started
// again, which a --rm container is not unless its removal failed; without
// a host crash its upper is consistent, so the marker is cleared rather
// than failing that start. (One lstat when there is none.)
func clearVolatileMarker(ms []driver.Mount) {
	if len(ms) != 1 || ms[0].Type != "overlay" {
		return
	}
	for _, o := range ms[0].Options {
		if work, ok := strings.CutPrefix(o, "workdir="); ok {
			_ = os.RemoveAll(filepath.Join(work, "work", "incompat"))
		}
	}
}

func driverMounts(sms []snapshot.Mount) []driver.Mount {
	out := make([]driver.Mount, len(sms))
	for i, m := range sms {
		out[i] = driver.Mount{Type: m.Type, Source: m.Source, Options: m.Options}
	}
	return out
}

// startFailed undoes a failed start and records why, as docker does: the
// state stays what it was (created or exited) with Error and exit code
// 127/126/125 set; a --rm container is removed.
func (e *Engine) startFailed(id, rootfs string, cause error) {
	if errors.Is(cause, errdefs.ErrConflict) {
		return // another start holds the container: leave its rootfs alone
	}
	_ = driver.UnmountRootfs(rootfs)
	c, err := e.containers.Update(id, func(c *container.Container) error {
		if c.Running() {
			return errNoRestart
		}
		c.State.Error = cause.Error()
		c.State.ExitCode = startExitCode(cause)
		return nil
	})
	if err == nil && c.HostConfig != nil && c.HostConfig.AutoRemove {
		// docker removes a --rm container whose start failed, too.
		if err := e.removeStopped(context.Background(), id, true); err != nil {
			e.logf("container %s: auto-remove: %v", shortID(id), err)
		}
	}
}

func startExitCode(err error) int {
	switch {
	case errors.Is(err, runtime.ErrNoExecutable):
		return 127
	case errors.Is(err, os.ErrPermission):
		return 126
	}
	return 125
}

// startMounts resolves c.Mounts into OCI mounts, populating a new volume
// from the image content at its mount point first (docker's copy-up).
func (e *Engine) startMounts(c *container.Container, rootfs string) ([]specs.Mount, error) {
	out := make([]specs.Mount, 0, len(c.Mounts))
	for _, mp := range c.Mounts {
		m := specs.Mount{Destination: mp.Destination, Type: "bind", Source: mp.Source}
		switch mp.Type {
		case mount.TypeBind:
			m.Options = []string{"rbind", string(mp.Propagation)}
		case mount.TypeVolume:
			vm, err := e.volumeMount(mp, rootfs)
			if err != nil {
				return nil, err
			}
			m.Type, m.Source, m.Options = vm.Type, vm.Source, append([]string{}, vm.Options...)
		case mount.TypeTmpfs:
			m.Type, m.Source, m.Options = "tmpfs", "tmpfs", tmpfsOptions(c.HostConfig, mp.Destination)
		default:
			continue
		}
		if !mp.RW {
			m.Options = append(m.Options, "ro")
		}
		out = append(out, m)
	}
	return out, nil
}

func (e *Engine) volumeMount(mp ctypes.MountPoint, rootfs string) (volume.Mount, error) {
	v, err := e.volumes.Get(mp.Name)
	if err != nil {
		return volume.Mount{}, fmt.Errorf("volume %s of %s: %w", mp.Name, mp.Destination, err)
	}
	if !strings.Contains(mp.Mode, "nocopy") {
		src, err := securejoin.SecureJoin(rootfs, mp.Destination)
		if err != nil {
			return volume.Mount{}, fmt.Errorf("resolving %s in rootfs: %w", mp.Destination, err)
		}
		if fi, err := os.Lstat(src); err == nil && fi.IsDir() {
			if err := e.volumes.Populate(v, src); err != nil {
				return volume.Mount{}, fmt.Errorf("populating volume %s: %w", v.Name, err)
			}
		}
	}
	vm, err := e.volumes.Mount(v)
	if err != nil {
		return volume.Mount{}, err
	}
	return vm, nil
}

// Mount is a volume's mount as data (volume.Mount).
type Mount struct {
	Type    string
	Source  string
	Options []string
}

// tmpfsOptions are a --mount type=tmpfs's mount options.
func tmpfsOptions(hc *ctypes.HostConfig, dst string) []string {
	opts := []string{"nosuid", "nodev"}
	for _, m := range hc.Mounts {
		if m.Type != mount.TypeTmpfs || filepath.Clean(m.Target) != dst || m.TmpfsOptions == nil {
			continue
		}
		if m.TmpfsOptions.SizeBytes > 0 {
			opts = append(opts, fmt.Sprintf("size=%d", m.TmpfsOptions.SizeBytes))
		}
		if m.TmpfsOptions.Mode != 0 {
			opts = append(opts, fmt.Sprintf("mode=%o", unixMode(m.TmpfsOptions.Mode)))
		}
	}
	return opts
}

// unixMode converts Go's file mode bits to chmod(2)'s.
func unixMode(m os.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&os.ModeSticky != 0 {
		u |= 0o1000
	}
	if m&os.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&os.ModeSetuid != 0 {
		u |= 0o4000
	}
	return u
}

// monitorSpec is what the monitor needs to run c.
func (e *Engine) monitorSpec(c *container.Container) (monitor.Spec, error) {
	rt, root := e.runtimeOf(c)
	s := monitor.Spec{
		ID: c.ID, Bundle: e.bundlePath(c.ID), Runtime: rt, RuntimeRoot: root,
		Tty: c.Config.Tty, OpenStdin: c.Config.OpenStdin, StdinOnce: c.Config.StdinOnce,
		Health: healthConfig(c.Config.Healthcheck),
	}
	if c.HostConfig.LogConfig.Type != "none" && c.LogPath != "" {
		size, files, err := logLimits(&c.HostConfig.LogConfig)
		if err != nil {
			return s, err
		}
		s.Log = monitor.LogConfig{Path: c.LogPath, MaxSize: size, MaxFiles: files}
	}
	return s, nil
}

// Docker's health check defaults.
const (
	defaultHealthInterval      = 30 * time.Second
	defaultHealthTimeout       = 30 * time.Second
	defaultHealthStartInterval = 5 * time.Second
	defaultHealthRetries       = 3
)

func healthConfig(h *ctypes.HealthConfig) *monitor.HealthConfig {
	if h == nil || len(h.Test) == 0 {
		return nil
	}
	var test []string
	switch h.Test[0] {
	case "CMD":
		test = h.Test[1:]
	case "CMD-SHELL":
		test = []string{"/bin/sh", "-c", strings.Join(h.Test[1:], " ")}
	default: // NONE, or an unknown form
		return nil
	}
	if len(test) == 0 {
		return nil
	}
	hc := &monitor.HealthConfig{
		Test: test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod,
		StartInterval: h.StartInterval, Retries: h.Retries,
	}
	if hc.Interval <= 0 {
		hc.Interval = defaultHealthInterval
	}
	if hc.Timeout <= 0 {
		hc.Timeout = defaultHealthTimeout
	}
	if hc.StartInterval <= 0 {
		hc.StartInterval = defaultHealthStartInterval
	}
	if hc.Retries <= 0 {
		hc.Retries = defaultHealthRetries
	}
	return hc
}

func (e *Engine) attachContainer(ctx context.Context, ref string, a *Streams) (*monitor.Session, error) {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	if c.State.Paused {
		return nil, classed(errdefs.ErrConflict, "You cannot attach to a paused container, unpause it first")
	}
	if !c.Running() {
		return nil, classed(errdefs.ErrConflict, "You cannot attach to a stopped container, start it first")
	}
	return e.monitorClient().Attach(ctx, c.ID, a)
}
