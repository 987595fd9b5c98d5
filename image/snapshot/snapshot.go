package snapshot

import (
	"context"
	_ "crypto/sha256" // go-digest hashes only with algorithms the binary links in
	"io"

	"github.com/onggi/onggi/image/layer"
	digest "github.com/opencontainers/go-digest"
)

// Mount is one mount to perform, as data (containerd's mount.Mount). Target
// is relative to the container rootfs; "" means the rootfs itself.
type Mount struct {
	Type    string   `json:"type"`
	Source  string   `json:"source"`
	Target  string   `json:"target,omitempty"`
	Options []string `json:"options,omitempty"`
}

// Drivers.
const (
	DriverOverlay = "overlay"
	DriverCopy    = "copy"
)

// Option configures a Snapshotter.
type Option func(*Snapshotter)

// WithDriver forces a driver ("overlay" or "copy"); "" (the default)
// detects it once per root.
func WithDriver(name string) Option { return func(s *Snapshotter) { s.want = name } }

// WithLogf sets where notices (e.g. "overlay unavailable, using copy")
// go; the default discards them.
func WithLogf(f func(format string, args ...any)) Option { return func(s *Snapshotter) { s.logf = f } }

// WithApplyOptions sets the layer caps and ownership options used by Unpack
// (the whiteout format follows the driver).
func WithApplyOptions(o layer.Options) Option { return func(s *Snapshotter) { s.applyOpts = o } }

// WithMaxMountData overrides the overlay mount data budget in bytes
// (default: the page size minus a margin); tests use it to exercise
// flattening.
func WithMaxMountData(n int) Option { return func(s *Snapshotter) { s.maxData = n } }

// Snapshotter manages layer directories and snapshots under one root.
type Snapshotter struct {
	root      string
	want      string
	driver    string
	logf      func(string, ...any)
	applyOpts layer.Options
	maxData   int
}

// LayerInfo describes an unpacked layer.
type LayerInfo struct {
	ChainID digest.Digest `json:"chainID"`
	DiffID  digest.Digest `json:"diffID"`
	Parent  digest.Digest `json:"parent,omitempty"` // chain ID of the layer below
	Size    int64         `json:"size"`             // bytes on disk (apparent)
}

// Info describes a snapshot.
type Info struct {
	Key      string          `json:"key"`
	Driver   string          `json:"driver"`
	ReadOnly bool            `json:"readOnly,omitempty"`
	Layers   []digest.Digest `json:"layers"` // chain IDs, bottom first
}

// ChainIDs returns the chain IDs of a stack of diff IDs (bottom first), as
// image-spec defines them: chain(0) = diff(0), chain(n) = sha256(chain(n-1)
// + " " + diff(n)).
func ChainIDs(diffIDs []digest.Digest) []digest.Digest {
	out := make([]digest.Digest, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		out[i] = digest.FromString(out[i-1].String() + " " + d.String())
	}
	return out
}

// OpenLayerFunc opens the (possibly compressed) blob of layer i.
type OpenLayerFunc func(i int) (io.ReadCloser, error)

var _ = context.Background
