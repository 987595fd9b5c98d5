package builder

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/onggi/onggi/builder/fscopy"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/runtime/driver"
)

// Builder builds images into one image store. It is safe for concurrent
// use; each Build is independent.
type Builder struct {
	store   *image.Store
	root    string // <onggi root>/builder: cache index, cache mounts
	runroot string // <onggi runroot>/builder: bundles of RUN steps
	cache   *cache

	drvOnce sync.Once
	drv     driver.Driver
	drvErr  error
}

// Option configures New.
type Option func(*Builder)

// WithDriver makes RUN steps use d instead of onggi's in-process runtime
// with state under <runroot>/runtime.
func WithDriver(d driver.Driver) Option { return func(b *Builder) { b.drv = d } }

// New returns a builder storing images in store, its cache and cache mounts
// under root and the bundles of RUN steps under runroot.
func New(store *image.Store, root, runroot string, opts ...Option) (*Builder, error) {
	if store == nil || root == "" || runroot == "" {
		return nil, fmt.Errorf("builder: %w: store, root and runroot are required", errdefs.ErrInvalid)
	}
	b := &Builder{store: store, root: root, runroot: runroot}
	for _, o := range opts {
		o(b)
	}
	b.cache = openCache(filepath.Join(root, "cache"))
	return b, nil
}

// driver is the runtime RUN steps use, made on first use (a fully cached
// build never needs one).
func (b *Builder) driver() (driver.Driver, error) {
	b.drvOnce.Do(func() {
		if b.drv == nil {
			b.drv, b.drvErr = driver.Onggi(filepath.Join(b.runroot, "runtime"))
		}
	})
	return b.drv, b.drvErr
}

// BuildOptions describe one build.
type BuildOptions struct {
	// Context is where COPY, ADD and RUN --mount=type=bind read the build
	// context; the zero Source means an empty context (`-f -` without one).
	Context fscopy.Source
	// Dockerfile is the Dockerfile's content and DockerfileName its name in
	// messages ("Dockerfile").
	Dockerfile     []byte
	DockerfileName string
	// Tags name the result (docker's -t, several allowed).
	Tags []string
	// BuildArgs are --build-arg values.
	BuildArgs map[string]string
	// Target is the stage to build (default: the last).
	Target string
	// Labels are added to the result's config (--label).
	Labels map[string]string
	// NoCache runs every step (the results still refresh the cache).
	NoCache bool
	// Platform is --platform ("" or the host's; others are refused).
	Platform string
	// Secrets are --secret id → host file, mounted by RUN
	// --mount=type=secret at /run/secrets/<id>, never stored in a layer.
	Secrets map[string]string
	// Network is the default network of RUN steps (docker build
	// --network): "" or "default" (the host's, see doc.go), "host", or
	// "none". A RUN --network flag overrides it.
	Network string
	// Progress receives the build's events; nil discards them.
	Progress func(Event)
}

// EventKind is what an Event reports.
type EventKind int

// Event kinds, in a step's order: Start, then Log lines, then one of
// Cached, Done or Error.
const (
	EventStart EventKind = iota
	EventLog
	EventCached
	EventDone
	EventError
	EventWarning
)

// Event is one progress report of a build: a vertex (BuildKit's word for a
// step) starting, logging, finishing.
type Event struct {
	Kind EventKind
	// Vertex numbers the step (#N in plain output), from 1.
	Vertex int
	// Name is the step's display name: "[build 2/4] RUN make".
	Name string
	// Stage is the stage's display name ("build", "stage-0").
	Stage string
	// Data is output of a Log event (stdout and stderr, as written).
	Data []byte
	// Time is when the event happened; Elapsed the step's duration for
	// Done, Cached and Error.
	Time    time.Time
	Elapsed time.Duration
	Err     error
}

// Result is what Build made.
type Result struct {
	Image *image.Image
	// Warnings are the parser's and the builder's (unused build args).
	Warnings []string
}
