package engine

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/image"
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
	// imageUsers reports the containers that use an image; the containers
	// subsystem replaces it (rmi and prune consult it through the store).
	imageUsers func(id digest.Digest) []string
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
	e.imageUsers = func(digest.Digest) []string { return nil }
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

// Close releases the engine's resources.
func (e *Engine) Close() error { return e.images.Close() }

func (e *Engine) logf(format string, args ...any) {
	fmt.Fprintf(e.logw, format+"\n", args...)
}
