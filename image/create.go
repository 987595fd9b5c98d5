package image

import (
	"context"
	"fmt"
	"io"

	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/image/manifest"
	"github.com/onggi/onggi/image/snapshot"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// WriteLayer stores the layer tar that produce writes (uncompressed),
// compressed with c, and returns the blob's descriptor (OCI layer media
// type) and the tar's diff ID. import, bootstrap, commit and build use it
// with layer.Tar / snapshot Diff as producer. Hold a Lease until the image
// referencing the layer is Put.
func (s *Store) WriteLayer(ctx context.Context, c layer.Compression, produce func(w io.Writer) error) (ocispec.Descriptor, digest.Digest, error) {
	pr, pw := io.Pipe()
	diff := digest.SHA256.Digester()
	done := make(chan struct{})
	go func() {
		defer close(done)
		zw, err := layer.Compress(pw, c)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		err = produce(io.MultiWriter(zw, diff.Hash()))
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
	}()
	desc, err := s.content.Ingest(ctx, layerMediaType(c), pr)
	pr.CloseWithError(io.ErrClosedPipe) // stop the producer if Ingest failed early
	<-done
	if err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("writing layer: %w", err)
	}
	return desc, diff.Digest(), nil
}

func layerMediaType(c layer.Compression) string {
	switch c {
	case layer.Gzip:
		return ocispec.MediaTypeImageLayerGzip
	case layer.Zstd:
		return ocispec.MediaTypeImageLayerZstd
	}
	return ocispec.MediaTypeImageLayer
}

// CreateOptions describe an image made locally (import, commit, build,
// bootstrap).
type CreateOptions struct {
	// Config is the image config; RootFS.DiffIDs must list the layers'
	// diff IDs (RootFS.Type is set to "layers").
	Config ocispec.Image
	// Layers are the layer blobs, already in Content, bottom first.
	Layers []ocispec.Descriptor
	// Annotations go on the manifest.
	Annotations map[string]string
	// Docker writes a Docker schema 2 manifest and config instead of OCI.
	Docker bool
}

// Create writes the config and manifest of a new image and Puts it under
// names.
func (s *Store) Create(ctx context.Context, opts CreateOptions, names ...string) (*Image, error) {
	cfg := opts.Config
	cfg.RootFS.Type = "layers"
	if len(cfg.RootFS.DiffIDs) != len(opts.Layers) {
		return nil, fmt.Errorf("creating image: %w: %d layers but %d diff IDs", ErrInvalid, len(opts.Layers), len(cfg.RootFS.DiffIDs))
	}
	raw, cdesc, err := manifest.MarshalConfig(cfg)
	if err != nil {
		return nil, err
	}
	m := ocispec.Manifest{Layers: opts.Layers, Annotations: opts.Annotations}
	if opts.Docker {
		cdesc.MediaType, m.MediaType = manifest.MediaTypeDockerConfig, manifest.MediaTypeDockerManifest
		m.Layers = dockerLayers(opts.Layers)
	}
	m.Config = cdesc
	mraw, mdesc, err := manifest.Marshal(m)
	if err != nil {
		return nil, err
	}
	lease, err := s.Lease(ctx)
	if err != nil {
		return nil, err
	}
	defer lease.Unlock()
	if _, err := s.content.WriteBytes(ctx, cdesc.MediaType, raw); err != nil {
		return nil, fmt.Errorf("creating image: %w", err)
	}
	if _, err := s.content.WriteBytes(ctx, mdesc.MediaType, mraw); err != nil {
		return nil, fmt.Errorf("creating image: %w", err)
	}
	return s.Put(ctx, mdesc, names...)
}

func dockerLayers(in []ocispec.Descriptor) []ocispec.Descriptor {
	out := append([]ocispec.Descriptor(nil), in...)
	for i := range out {
		switch out[i].MediaType {
		case ocispec.MediaTypeImageLayerGzip:
			out[i].MediaType = manifest.MediaTypeDockerLayer
		case ocispec.MediaTypeImageLayer:
			out[i].MediaType = manifest.MediaTypeDockerLayerTar
		}
	}
	return out
}

// Unpack makes sure every layer of img is unpacked in the snapshotter.
func (s *Store) Unpack(ctx context.Context, img *Image) error {
	layers := img.Manifest.Layers
	err := s.snaps.Unpack(ctx, img.Config.RootFS.DiffIDs, func(i int) (io.ReadCloser, error) {
		return s.content.Open(layers[i].Digest)
	})
	if err != nil {
		return fmt.Errorf("unpacking image %s: %w", short(img.ID), err)
	}
	return nil
}

// Prepare unpacks img and creates the writable snapshot key on it (a
// container's rootfs), returning its mounts for the runtime.
func (s *Store) Prepare(ctx context.Context, key string, img *Image) ([]snapshot.Mount, error) {
	if err := s.Unpack(ctx, img); err != nil {
		return nil, err
	}
	return s.snaps.Prepare(ctx, key, img.Config.RootFS.DiffIDs)
}

// DiskUsage is `system df`'s image line and `system df -v`'s image table.
type DiskUsage struct {
	Images      []ImageUsage
	Active      int   // images used by a container
	TotalSize   int64 // bytes of all blobs and unpacked layers
	Reclaimable int64 // bytes only unused images hold
}

// ImageUsage is one image's share of the disk.
type ImageUsage struct {
	Image      *Image
	Size       int64 // its blobs plus its unpacked layers
	SharedSize int64 // part of Size other images use too
	InUse      bool
}
