package bootstrap

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/onggi/onggi/image/archive"
	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Busybox stores the busybox image built from bin (BusyboxBinary when
// empty) and returns its manifest and config.
func Busybox(ctx context.Context, store *content.Store, bin string) (archive.Imported, error) {
	if bin == "" {
		bin = BusyboxBinary
	}
	info, err := ProbeBusybox(bin)
	if err != nil {
		return archive.Imported{}, err
	}
	layer, err := ingestStream(ctx, store, func(w io.Writer) error { return WriteBusyboxLayer(w, bin, info) })
	if err != nil {
		return archive.Imported{}, fmt.Errorf("building busybox layer: %w", err)
	}
	run := archive.RunConfig{}
	run.Env = []string{DefaultPath}
	run.Cmd = []string{"sh"}
	return storeConfig(ctx, store, run, info.Created, "onggi image bootstrap busybox (BusyBox "+info.Version+")", layer)
}

// storeConfig writes a one-layer image whose layer is uncompressed (so its
// digest is its diff ID).
func storeConfig(ctx context.Context, store *content.Store, run archive.RunConfig, created time.Time, createdBy string, layer ocispec.Descriptor) (archive.Imported, error) {
	cfg := archive.ConfigFile{Config: run}
	cfg.Created = &created
	cfg.Platform = manifest.DefaultPlatform()
	cfg.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layer.Digest}}
	cfg.History = []ocispec.History{{Created: &created, CreatedBy: createdBy}}
	return archive.StoreImage(ctx, store, cfg, []ocispec.Descriptor{layer})
}

// ingestStream stores what write produces as an uncompressed layer blob,
// streaming through a pipe (no temporary copy besides the store's own).
func ingestStream(ctx context.Context, store *content.Store, write func(io.Writer) error) (ocispec.Descriptor, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	desc, err := store.Ingest(ctx, ocispec.MediaTypeImageLayer, pr)
	pr.CloseWithError(io.ErrClosedPipe) // stop the writer if the store gave up early
	return desc, err
}
