package container

import (
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// Container is one container's persistent record (container.json).
type Container struct {
	ID      string    // 64 hex digits
	Name    string    // without docker's leading "/"
	Created time.Time // creation time (UTC)

	Image   string // the reference the user gave ("busybox")
	ImageID string // "sha256:…" config digest

	Path string   // the resolved entrypoint+cmd: argv[0]
	Args []string // and the rest

	Config     *ctypes.Config
	HostConfig *ctypes.HostConfig
	State      ctypes.State

	RestartCount int
	// ManuallyStopped is set by stop/kill (and cleared by start) so the
	// restart policy does not restart a container the user stopped, and
	// unless-stopped survives `system boot`.
	ManuallyStopped bool

	// Runtime is "onggi" (in-process) or an OCI runtime binary (path or name).
	Runtime string
	// SnapshotKey is the container's writable snapshot in the image store.
	SnapshotKey string
	// Mounts are the resolved mount points (volumes, binds, tmpfs), shown by
	// inspect and used by rm -v and volume usage.
	Mounts []ctypes.MountPoint
	// AnonymousVolumes are volume names created for this container (image
	// VOLUME entries and -v /path); rm -v and --rm remove them.
	AnonymousVolumes []string
	// LogPath is the json-file log (<dir>/<id>-json.log).
	LogPath string
	// Driver is the snapshot driver ("overlay" or "copy").
	Driver string

	// Networks are the networks the container is connected to, by network
	// name: what was asked (aliases, --ip, --mac-address) from create and
	// connect, and while it runs the live endpoint (address, gateway, MAC,
	// ids) written at start and cleared when the run ends.
	Networks map[string]*network.EndpointSettings `json:",omitempty"`
	// Ports are the published ports in effect for the current run (-p as
	// given, with -P and ephemeral host ports resolved); nil when stopped.
	Ports network.PortMap `json:",omitempty"`

	// MonitorPid and MonitorStart (the start time in clock ticks, field 22
	// of /proc/<pid>/stat) identify the monitor supervising the current
	// run, so a reader can tell a live run from one whose monitor was
	// killed (pid reuse cannot fool the pair).
	MonitorPid   int
	MonitorStart uint64
}

// Running reports whether the record says a process is alive (running,
// paused or restarting).
func (c *Container) Running() bool {
	return c.State.Running || c.State.Paused || c.State.Restarting
}
