package engine

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/monitor"
	"github.com/onggi/onggi/runtime/driver"
	"github.com/onggi/onggi/volume"
	digest "github.com/opencontainers/go-digest"
)

// Engine is one onggi instance: a persistent root and a runtime root. Each
// subsystem hangs off it as a field opened by New; add new subsystems the
// same way (an option if callers must tune them, a field, a Close step).
type Engine struct {
	root    string
	runroot string
	images  *image.Store
	// containers and volumes are opened by New; the monitor client and the
	// runtime drivers are made on first use (container_monitor.go).
	containers *container.Store
	volumes    *volume.Store
	logw       io.Writer
	// imageUsers reports the containers that use an image (rmi and prune
	// consult it through the store).
	imageUsers func(id digest.Digest) []string

	// deferPurge (the monitor) deletes a removed container's files in
	// the background: the record and snapshot vanish at once (renamed
	// aside), so a `run --rm` reports its exit without waiting for the
	// unlinks. bg tracks those deletions; Close waits for them.
	deferPurge bool
	bg         sync.WaitGroup
	// removing holds the records onExited claimed for --rm removal, by
	// id, for the Done hook that follows (monitor only).
	removing sync.Map

	// net is the networking state (network store, IPAM), opened on first
	// use so that `run --network none` never touches it (network.go).
	net netState
	// gcTimer (monitor only) runs gcNetworks shortly after the last
	// endpoint of the instance went (network_gc.go).
	gcMu    sync.Mutex
	gcTimer *time.Timer

	monOnce sync.Once
	mon     *monitor.Client
	drvMu   sync.Mutex
	drivers map[string]driver.Driver // by runtime and state root
}

// Option configures New.
type Option func(*config)

type config struct {
	imageOpts []image.Option
	logw      io.Writer
}

// WithImageOptions passes options to image.Open (layer caps, snapshotter).
func WithImageOptions(opts ...image.Option) Option {
	return func(c *config) { c.imageOpts = append(c.imageOpts, opts...) }
}

// WithLog sets where one-time notices go (default os.Stderr).
func WithLog(w io.Writer) Option { return func(c *config) { c.logw = w } }

// New opens the engine state under root (persistent) and runroot (runtime).
func New(root, runroot string, opts ...Option) (*Engine, error) {
	c := config{logw: os.Stderr}
	for _, o := range opts {
		o(&c)
	}
	if root == "" || runroot == "" {
		return nil, fmt.Errorf("engine: root and runroot must be set: %w", image.ErrInvalid)
	}
	e := &Engine{root: root, runroot: runroot, logw: c.logw}
	e.imageUsers = e.containersUsing
	defer Span("engine.New")()
	iopts := append([]image.Option{
		image.WithInUse(func(id digest.Digest) bool { return len(e.imageUsers(id)) > 0 }),
		image.WithLogf(e.logf),
	}, c.imageOpts...)
	store, err := image.Open(filepath.Join(root, "image"), iopts...)
	if err != nil {
		return nil, fmt.Errorf("opening image store: %w", err)
	}
	e.images = store
	if e.containers, err = container.Open(filepath.Join(root, "containers")); err != nil {
		return nil, fmt.Errorf("opening container store: %w", err)
	}
	if e.volumes, err = volume.Open(filepath.Join(root, "volumes")); err != nil {
		return nil, fmt.Errorf("opening volume store: %w", err)
	}
	return e, nil
}

// Root is the persistent state directory.
func (e *Engine) Root() string { return e.root }

// RunRoot is the runtime state directory.
func (e *Engine) RunRoot() string { return e.runroot }

// Images is the image store.
func (e *Engine) Images() *image.Store { return e.images }

// Close releases the engine's resources. Running containers are not
// affected: the monitor process holds them.
func (e *Engine) Close() error {
	e.bg.Wait()
	return e.images.Close()
}

// containersUsing lists the ids of the containers created from image id.
func (e *Engine) containersUsing(id digest.Digest) []string {
	list, err := e.containers.List()
	if err != nil {
		return nil
	}
	var ids []string
	for _, c := range list {
		if c.ImageID == id.String() {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// runDir is a container's runtime directory (<runroot>/containers/<id>).
func (e *Engine) runDir(id string) string { return filepath.Join(e.runroot, "containers", id) }

// bundlePath is the OCI bundle of a container.
func (e *Engine) bundlePath(id string) string { return filepath.Join(e.runDir(id), "bundle") }

// rootfsPath is where a container's rootfs is mounted while it runs.
func (e *Engine) rootfsPath(id string) string { return filepath.Join(e.runDir(id), "bundle", "rootfs") }

func (e *Engine) logf(format string, args ...any) {
	fmt.Fprintf(e.logw, format+"\n", args...)
}
