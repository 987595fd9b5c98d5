// Package manifest reads and writes image manifests and indexes in both
// formats found in the wild: OCI (image-spec v1.1) and Docker's schema 2
// (manifest and manifest list), which share one JSON shape and differ only
// in media types. It also picks the platform's entry from an index.
//
// It imports only image/errdefs and the OCI/go-digest libraries.
package manifest

import (
	_ "crypto/sha256" // go-digest hashes only with algorithms the binary links in
	"encoding/json"
	"fmt"

	"github.com/onggi/onggi/image/errdefs"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker schema 2 media types (OCI ones are in ocispec).
const (
	MediaTypeDockerManifest      = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList  = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig        = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayer         = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	MediaTypeDockerForeignLayer  = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	MediaTypeDockerLayerTar      = "application/vnd.docker.image.rootfs.diff.tar" // seen in old `docker save` output
	MediaTypeDockerSchema1       = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// IsIndex reports whether mt is an OCI index or a Docker manifest list.
func IsIndex(mt string) bool {
	return mt == ocispec.MediaTypeImageIndex || mt == MediaTypeDockerManifestList
}

// IsManifest reports whether mt is an OCI or Docker schema 2 image manifest.
func IsManifest(mt string) bool {
	return mt == ocispec.MediaTypeImageManifest || mt == MediaTypeDockerManifest
}

// IsConfig reports whether mt is an image config.
func IsConfig(mt string) bool {
	return mt == ocispec.MediaTypeImageConfig || mt == MediaTypeDockerConfig
}

// IsLayer reports whether mt is a filesystem layer (any compression,
// including non-distributable ones).
func IsLayer(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerZstd,
		ocispec.MediaTypeImageLayerNonDistributable, ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck // still read
		ocispec.MediaTypeImageLayerNonDistributableZstd, //nolint:staticcheck
		MediaTypeDockerLayer, MediaTypeDockerForeignLayer, MediaTypeDockerLayerTar:
		return true
	}
	return false
}

// probe is the union of the fields that tell the kinds apart.
type probe struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	Config        json.RawMessage `json:"config"`
	Layers        json.RawMessage `json:"layers"`
	Manifests     json.RawMessage `json:"manifests"`
	FSLayers      json.RawMessage `json:"fsLayers"`
}

// Detect returns the media type of a manifest or index document: its
// mediaType field when set, otherwise guessed from its shape (OCI allows
// the field to be absent). Schema 1 is recognised only to be refused.
func Detect(data []byte) (string, error) {
	var p probe
	if err := json.Unmarshal(data, &p); err != nil {
		return "", fmt.Errorf("manifest: %w: %v", errdefs.ErrInvalid, err)
	}
	switch {
	case p.MediaType != "":
		return p.MediaType, nil
	case p.SchemaVersion == 1 || p.FSLayers != nil:
		return MediaTypeDockerSchema1, nil
	case p.Manifests != nil:
		return ocispec.MediaTypeImageIndex, nil
	case p.Config != nil || p.Layers != nil:
		return ocispec.MediaTypeImageManifest, nil
	}
	return "", fmt.Errorf("manifest: %w: neither a manifest nor an index", errdefs.ErrInvalid)
}

// ParseManifest decodes an OCI or Docker schema 2 image manifest. Its
// MediaType field is set to the detected type.
func ParseManifest(data []byte) (ocispec.Manifest, error) {
	mt, err := Detect(data)
	if err != nil {
		return ocispec.Manifest{}, err
	}
	if !IsManifest(mt) {
		return ocispec.Manifest{}, fmt.Errorf("manifest: %w: media type %q is not an image manifest", errdefs.ErrInvalid, mt)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return ocispec.Manifest{}, fmt.Errorf("manifest: %w: %v", errdefs.ErrInvalid, err)
	}
	m.MediaType = mt
	if err := validateManifest(m); err != nil {
		return ocispec.Manifest{}, err
	}
	return m, nil
}

func validateManifest(m ocispec.Manifest) error {
	if m.SchemaVersion != 2 {
		return fmt.Errorf("manifest: %w: schemaVersion %d, expected 2", errdefs.ErrInvalid, m.SchemaVersion)
	}
	if err := m.Config.Digest.Validate(); err != nil {
		return fmt.Errorf("manifest: %w: config digest: %v", errdefs.ErrInvalid, err)
	}
	for i, l := range m.Layers {
		if err := l.Digest.Validate(); err != nil {
			return fmt.Errorf("manifest: %w: layer %d digest: %v", errdefs.ErrInvalid, i, err)
		}
		if l.Size < 0 {
			return fmt.Errorf("manifest: %w: layer %d has negative size", errdefs.ErrInvalid, i)
		}
	}
	return nil
}

// ParseIndex decodes an OCI index or Docker manifest list. Its MediaType
// field is set to the detected type.
func ParseIndex(data []byte) (ocispec.Index, error) {
	mt, err := Detect(data)
	if err != nil {
		return ocispec.Index{}, err
	}
	if !IsIndex(mt) {
		return ocispec.Index{}, fmt.Errorf("index: %w: media type %q is not an index", errdefs.ErrInvalid, mt)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return ocispec.Index{}, fmt.Errorf("index: %w: %v", errdefs.ErrInvalid, err)
	}
	idx.MediaType = mt
	if idx.SchemaVersion != 2 {
		return ocispec.Index{}, fmt.Errorf("index: %w: schemaVersion %d, expected 2", errdefs.ErrInvalid, idx.SchemaVersion)
	}
	for i, d := range idx.Manifests {
		if err := d.Digest.Validate(); err != nil {
			return ocispec.Index{}, fmt.Errorf("index: %w: entry %d digest: %v", errdefs.ErrInvalid, i, err)
		}
	}
	return idx, nil
}

// ParseConfig decodes an image config (OCI and Docker share the format).
func ParseConfig(data []byte) (ocispec.Image, error) {
	var c ocispec.Image
	if err := json.Unmarshal(data, &c); err != nil {
		return ocispec.Image{}, fmt.Errorf("image config: %w: %v", errdefs.ErrInvalid, err)
	}
	if c.RootFS.Type != "" && c.RootFS.Type != "layers" {
		return ocispec.Image{}, fmt.Errorf("image config: %w: rootfs type %q", errdefs.ErrInvalid, c.RootFS.Type)
	}
	return c, nil
}

// Marshal encodes m (schemaVersion 2; media type OCI unless m.MediaType says
// Docker) and returns the bytes with their descriptor.
func Marshal(m ocispec.Manifest) ([]byte, ocispec.Descriptor, error) {
	m.Versioned = specs.Versioned{SchemaVersion: 2}
	if m.MediaType == "" {
		m.MediaType = ocispec.MediaTypeImageManifest
	}
	if !IsManifest(m.MediaType) {
		return nil, ocispec.Descriptor{}, fmt.Errorf("manifest: %w: media type %q", errdefs.ErrInvalid, m.MediaType)
	}
	return marshal(m.MediaType, m)
}

// MarshalIndex encodes idx like Marshal does a manifest.
func MarshalIndex(idx ocispec.Index) ([]byte, ocispec.Descriptor, error) {
	idx.Versioned = specs.Versioned{SchemaVersion: 2}
	if idx.MediaType == "" {
		idx.MediaType = ocispec.MediaTypeImageIndex
	}
	if !IsIndex(idx.MediaType) {
		return nil, ocispec.Descriptor{}, fmt.Errorf("index: %w: media type %q", errdefs.ErrInvalid, idx.MediaType)
	}
	return marshal(idx.MediaType, idx)
}

// MarshalConfig encodes an image config and returns its descriptor (OCI
// config media type).
func MarshalConfig(c ocispec.Image) ([]byte, ocispec.Descriptor, error) {
	return marshal(ocispec.MediaTypeImageConfig, c)
}

func marshal(mt string, v any) ([]byte, ocispec.Descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("encoding %s: %w", mt, err)
	}
	return b, ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}, nil
}
