package engine

// Container lifecycle API (issue 4). The bodies live in container_*.go.

import (
	"context"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/monitor"
)

// CreateOptions are `create`/`run`'s inputs in docker's shapes, so the CLI,
// the Engine API and compose all hand the engine the same thing.
type CreateOptions struct {
	Name       string
	Image      string // reference; must be in the store (no implicit pull offline)
	Config     *ctypes.Config
	HostConfig *ctypes.HostConfig
	// NetworkingConfig is per-network endpoint settings as docker's CLI
	// sends them (keyed by network name): Aliases (--network-alias),
	// IPAMConfig.IPv4Address/IPv6Address (--ip, --ip6), MacAddress
	// (--mac-address). The key of the network in HostConfig.NetworkMode is
	// the primary one; more keys connect more networks at create.
	NetworkingConfig *network.NetworkingConfig
}

// CreateContainer resolves the image, merges its config, creates the
// writable snapshot, the anonymous volumes for the image's VOLUME entries and
// -v /path mounts, and writes the record (state "created"). It returns the
// record and docker's warnings (e.g. a memory limit below 6MB is an error,
// swap without memory limit is a warning).
func (e *Engine) CreateContainer(ctx context.Context, o CreateOptions) (*container.Container, []string, error) {
	return e.createContainer(ctx, o)
}

// Streams are a client's stdio for run/start -a/attach.
type Streams = monitor.Attach

// StartContainer starts a created or exited container through the monitor.
// With a non-nil attach the streams are attached before the process starts
// and the returned session carries them (the caller calls Wait/Resize);
// without, it returns a nil session once the container runs. Starting a
// running container is a no-op (docker's behaviour); a paused one is
// errdefs.ErrConflict.
func (e *Engine) StartContainer(ctx context.Context, ref string, attach *Streams) (*monitor.Session, error) {
	return e.startContainer(ctx, ref, attach)
}

// AttachContainer attaches to a running container (errdefs.ErrConflict
// "You cannot attach to a stopped container, start it first").
func (e *Engine) AttachContainer(ctx context.Context, ref string, attach *Streams) (*monitor.Session, error) {
	return e.attachContainer(ctx, ref, attach)
}

// StopContainer sends the stop signal (--stop-signal, or the image's, or
// SIGTERM), waits up to timeout (nil: the container's --stop-timeout, else
// 10s; negative: forever), then SIGKILL; marks it manually stopped so no
// restart policy brings it back. Stopping a stopped container is a no-op.
func (e *Engine) StopContainer(ctx context.Context, ref string, timeout *time.Duration, signal string) error {
	return e.stopContainer(ctx, ref, timeout, signal)
}

// RestartContainer is stop then start.
func (e *Engine) RestartContainer(ctx context.Context, ref string, timeout *time.Duration, signal string) error {
	return e.restartContainer(ctx, ref, timeout, signal)
}

// KillContainer sends a signal (name or number; "" = SIGKILL) to the init.
// Not running: errdefs.ErrConflict ("container … is not running").
func (e *Engine) KillContainer(ctx context.Context, ref, signal string) error {
	return e.killContainer(ctx, ref, signal)
}

// RemoveOptions are rm's flags.
type RemoveOptions struct {
	Force   bool // kill a running container first
	Volumes bool // remove its anonymous volumes
}

// RemoveContainer deletes a container: runtime state, rootfs mount,
// snapshot, record, logs, and with Volumes its anonymous volumes. A running
// container without Force is errdefs.ErrConflict (docker's message).
func (e *Engine) RemoveContainer(ctx context.Context, ref string, o RemoveOptions) error {
	return e.removeContainer(ctx, ref, o)
}

// WaitContainer blocks until the container is not running and returns its
// exit code (docker wait). A container that never ran returns at once.
func (e *Engine) WaitContainer(ctx context.Context, ref string) (int, error) {
	return e.waitContainer(ctx, ref)
}

// PauseContainer / UnpauseContainer freeze and thaw the cgroup.
func (e *Engine) PauseContainer(ctx context.Context, ref string) error {
	return e.pauseContainer(ctx, ref, true)
}

// UnpauseContainer thaws a paused container.
func (e *Engine) UnpauseContainer(ctx context.Context, ref string) error {
	return e.pauseContainer(ctx, ref, false)
}

// UpdateContainer changes resources (and the restart policy) of a container,
// live if it runs, and in its record for later starts. It returns warnings.
func (e *Engine) UpdateContainer(ctx context.Context, ref string, u ctypes.UpdateConfig) ([]string, error) {
	return e.updateContainer(ctx, ref, u)
}

// RenameContainer gives a container a new name.
func (e *Engine) RenameContainer(ctx context.Context, ref, name string) error {
	return e.renameContainer(ctx, ref, name)
}

// GetContainer returns a container's record with its state reconciled
// against reality (a container whose monitor died is shown as it is, never
// as a stale "running").
func (e *Engine) GetContainer(ctx context.Context, ref string) (*container.Container, error) {
	return e.getContainer(ctx, ref)
}

// ListContainers returns all records, reconciled, newest first.
func (e *Engine) ListContainers(ctx context.Context) ([]*container.Container, error) {
	return e.listContainers(ctx)
}

// ContainerPruneReport is container prune's result.
type ContainerPruneReport struct {
	ContainersDeleted []string
	SpaceReclaimed    uint64
}

// PruneContainers removes stopped containers matching docker's until= and
// label= filters.
func (e *Engine) PruneContainers(ctx context.Context, filters map[string][]string) (ContainerPruneReport, error) {
	return e.pruneContainers(ctx, filters)
}

// Boot rebuilds state after a reboot (runroot gone): records that say
// running are marked exited, and containers whose policy is always, or
// unless-stopped and not manually stopped, are started. It returns the ids
// it started (`onggi system boot`).
func (e *Engine) Boot(ctx context.Context) ([]string, error) { return e.boot(ctx) }
