package image

import (
	"context"
	_ "crypto/sha256" // go-digest hashes only with algorithms the binary links in
	"fmt"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/errdefs"
	"github.com/onggi/onggi/image/internal/diskfile"
	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/image/manifest"
	"github.com/onggi/onggi/image/snapshot"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Error classes (the same values as image/errdefs, so errors from any
// image/ package match them).
var (
	ErrNotFound = errdefs.ErrNotFound
	ErrExists   = errdefs.ErrExists
	ErrInvalid  = errdefs.ErrInvalid
	ErrInUse    = errdefs.ErrInUse
)

// Store is the image store under one root. It is safe for concurrent use by
// goroutines and by processes sharing the root.
type Store struct {
	root     string
	content  *content.Store
	snaps    *snapshot.Snapshotter
	inUse    func(id digest.Digest) bool
	platform ocispec.Platform
}

type options struct {
	apply    layer.Options
	driver   string
	logf     func(string, ...any)
	inUse    func(digest.Digest) bool
	platform *ocispec.Platform
}

// Option configures Open.
type Option func(*options)

// WithMaxLayerSize caps the uncompressed size of one layer (default
// layer.DefaultMaxSize, 64 GiB).
func WithMaxLayerSize(n int64) Option { return func(o *options) { o.apply.MaxSize = n } }

// WithMaxLayerEntries caps the entries of one layer tar (default
// layer.DefaultMaxEntries).
func WithMaxLayerEntries(n int) Option { return func(o *options) { o.apply.MaxEntries = n } }

// WithSnapshotter forces the snapshot driver: "overlay", "copy", or ""
// (default) to detect it.
func WithSnapshotter(name string) Option { return func(o *options) { o.driver = name } }

// WithLogf receives one-time notices (e.g. the overlay → copy fallback).
func WithLogf(f func(format string, args ...any)) Option { return func(o *options) { o.logf = f } }

// WithInUse tells the store which images containers use: Remove refuses
// them (ErrInUse) without Force, and Prune never removes them.
func WithInUse(f func(id digest.Digest) bool) Option { return func(o *options) { o.inUse = f } }

// WithPlatform sets the platform picked from indexes (default: the host's,
// manifest.DefaultPlatform).
func WithPlatform(p ocispec.Platform) Option { return func(o *options) { o.platform = &p } }

// Open opens (creating if needed) the store under root, normally
// `<onggi --root>/image`.
func Open(root string, opts ...Option) (*Store, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("creating image store %s: %w", root, err)
	}
	cs, err := content.Open(root)
	if err != nil {
		return nil, err
	}
	sopts := []snapshot.Option{snapshot.WithDriver(o.driver), snapshot.WithApplyOptions(o.apply)}
	if o.logf != nil {
		sopts = append(sopts, snapshot.WithLogf(o.logf))
	}
	sn, err := snapshot.New(filepath.Join(root, "snapshots"), sopts...)
	if err != nil {
		return nil, err
	}
	s := &Store{root: root, content: cs, snaps: sn, inUse: o.inUse, platform: manifest.DefaultPlatform()}
	if o.platform != nil {
		s.platform = *o.platform
	}
	if s.inUse == nil {
		s.inUse = func(digest.Digest) bool { return false }
	}
	return s, nil
}

// Root is the store's directory.
func (s *Store) Root() string { return s.root }

// Content is the blob store.
func (s *Store) Content() *content.Store { return s.content }

// Snapshots is the snapshotter (layer directories and container rootfs
// snapshots).
func (s *Store) Snapshots() *snapshot.Snapshotter { return s.snaps }

// Platform is the platform picked from indexes.
func (s *Store) Platform() ocispec.Platform { return s.platform }

// Lease holds off garbage collection until released: take one around
// "write blobs, then Put the image that references them" (load, import,
// pull, commit, build). Do not call Remove/Prune/GC while holding one in
// the same goroutine: they would wait for it.
func (s *Store) Lease(ctx context.Context) (*diskfile.Lock, error) { return s.content.Lease(ctx) }

// Close releases the store's resources.
func (s *Store) Close() error { return nil }
