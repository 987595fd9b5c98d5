package engine

// Container data API (issue 4): inspection, logs, exec, files. The bodies
// live in container_*.go beside each verb.

import (
	"context"
	"io"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/monitor"
)

// InspectContainer returns docker's inspect JSON shape.
func (e *Engine) InspectContainer(ctx context.Context, ref string) (*ctypes.InspectResponse, error) {
	return e.inspectContainer(ctx, ref)
}

// ContainerSummaries lists containers as docker ps does (GET
// /containers/json): running ones unless all, narrowed by docker's ps
// filters (an unknown key is errdefs.ErrInvalid "invalid filter 'x'").
func (e *Engine) ContainerSummaries(ctx context.Context, all bool, filters map[string][]string) ([]ctypes.Summary, error) {
	return e.containerSummaries(ctx, all, filters)
}

// LogsOptions are docker logs' flags.
type LogsOptions struct {
	Follow       bool
	Since, Until time.Time
	Tail         int // < 0: all
	Timestamps   bool
	Stdout       io.Writer
	Stderr       io.Writer
}

// ContainerLogs writes a container's log (works after it exited, until rm).
func (e *Engine) ContainerLogs(ctx context.Context, ref string, o LogsOptions) error {
	return e.containerLogs(ctx, ref, o)
}

// ExecOptions are docker exec's flags.
type ExecOptions struct {
	Cmd        []string
	Env        []string
	User       string // user[:group], resolved in the container's /etc/passwd
	WorkingDir string
	Tty        bool
	Detach     bool
	Privileged bool
	Streams    monitor.Attach // Stdin nil unless -i
	// Resize receives terminal sizes while the exec runs (tty only).
	Resize <-chan monitor.Size
}

// ExecContainer runs a process in a running container and returns its exit
// code (0 at once with Detach). Not running: errdefs.ErrConflict; a command
// not found is runtime.ErrNoExecutable (docker's 127), not executable 126.
func (e *Engine) ExecContainer(ctx context.Context, ref string, o ExecOptions) (int, error) {
	return e.execContainer(ctx, ref, o)
}

// TopContainer lists the container's processes with ps(1) columns
// (psArgs: ps options, default "-ef").
func (e *Engine) TopContainer(ctx context.Context, ref, psArgs string) (*ctypes.TopResponse, error) {
	return e.topContainer(ctx, ref, psArgs)
}

// ContainerStats reads cgroup (and network) counters once, in docker's
// stats shape (cpu, memory usage/limit, blkio, pids, networks).
func (e *Engine) ContainerStats(ctx context.Context, ref string) (*ctypes.StatsResponse, error) {
	return e.containerStats(ctx, ref)
}

// CopyFromContainer writes a tar of srcPath (docker cp semantics: a trailing
// "/." copies a directory's content) read safely inside the container's
// rootfs (and its volumes), and returns the stat of srcPath. Entries are
// named after srcPath's base ("dir/…", "file"); with "/." they are the
// directory's children. A final symlink is archived as a link.
func (e *Engine) CopyFromContainer(ctx context.Context, ref, srcPath string, w io.Writer) (ctypes.PathStat, error) {
	return e.copyFromContainer(ctx, ref, srcPath, w)
}

// CopyToContainer extracts the tar r into dstPath inside the container,
// never following a symlink out of its root.
func (e *Engine) CopyToContainer(ctx context.Context, ref, dstPath string, r io.Reader) error {
	return e.copyToContainer(ctx, ref, dstPath, r)
}

// StatContainerPath stats a path inside the container (cp's destination
// checks).
func (e *Engine) StatContainerPath(ctx context.Context, ref, path string) (ctypes.PathStat, error) {
	return e.statContainerPath(ctx, ref, path)
}

// CommitOptions are docker commit's flags.
type CommitOptions struct {
	Reference string // repo[:tag], "" = untagged
	Comment   string
	Author    string
	Changes   []string // Dockerfile instructions as in import --change
	Pause     bool
}

// CommitContainer makes an image from the container's changes on top of its
// image.
func (e *Engine) CommitContainer(ctx context.Context, ref string, o CommitOptions) (*image.Image, error) {
	return e.commitContainer(ctx, ref, o)
}

// ExportContainer writes the container's flattened filesystem as a tar.
func (e *Engine) ExportContainer(ctx context.Context, ref string, w io.Writer) error {
	return e.exportContainer(ctx, ref, w)
}

// DiffContainer lists changed paths (A/C/D) against the image.
func (e *Engine) DiffContainer(ctx context.Context, ref string) ([]ctypes.FilesystemChange, error) {
	return e.diffContainer(ctx, ref)
}

// ContainerPorts lists the published ports of a running container with the
// host ports its run chose (network none/host/container: publish none). `port c 80/tcp` filters
// the list; no match is docker's "No public port '80/tcp' published for c".
func (e *Engine) ContainerPorts(ctx context.Context, ref string) ([]ctypes.PortSummary, error) {
	return e.containerPorts(ctx, ref)
}
