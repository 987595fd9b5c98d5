package archive

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/image/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// Changes are Dockerfile-style lines applied to the config (see ApplyChanges).
	Changes []string
	// Message is the history comment; empty means "Imported from <Source>".
	Message string
	// Source names the input in the default comment ("-" for stdin).
	Source string
	// Created is the image's creation time; zero means now.
	Created time.Time
	// Platform is the image's platform; zero means the host's.
	Platform ocispec.Platform
}

// Imported describes the image Import stored.
type Imported struct {
	Manifest ocispec.Descriptor
	Config   ocispec.Descriptor
}

// ConfigFile is an image config as docker writes it; Config carries
// docker's OnBuild besides the OCI fields.
type ConfigFile struct {
	ocispec.Image
	Config RunConfig `json:"config,omitempty"`
}

// Import stores a root filesystem tar (uncompressed, gzip or zstd) as the
// single layer of a new image. The layer is stored exactly as read, in one
// pass: the same bytes are decompressed on the side to compute the diff ID
// and to check that they form a tar archive.
func Import(ctx context.Context, r io.Reader, store *content.Store, opts ImportOptions) (Imported, error) {
	var run RunConfig
	if err := ApplyChanges(&run, opts.Changes); err != nil {
		return Imported{}, err
	}
	layer, diffID, err := ingestLayer(ctx, r, store)
	if err != nil {
		return Imported{}, err
	}
	if opts.Created.IsZero() {
		opts.Created = time.Now().UTC()
	}
	if opts.Platform.OS == "" {
		opts.Platform = manifest.DefaultPlatform()
	}
	comment := opts.Message
	if comment == "" {
		comment = "Imported from " + opts.Source
	}
	cfg := ConfigFile{Config: run}
	cfg.Created = &opts.Created
	cfg.Platform = opts.Platform
	cfg.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}}
	cfg.History = []ocispec.History{{Created: &opts.Created, Comment: comment}}
	return StoreImage(ctx, store, cfg, []ocispec.Descriptor{layer})
}

// StoreImage writes cfg and an OCI manifest over layers (already stored).
func StoreImage(ctx context.Context, store *content.Store, cfg ConfigFile, layers []ocispec.Descriptor) (Imported, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return Imported{}, fmt.Errorf("encoding image config: %w", err)
	}
	cdesc, err := store.WriteBytes(ctx, ocispec.MediaTypeImageConfig, raw)
	if err != nil {
		return Imported{}, fmt.Errorf("storing image config: %w", err)
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: cdesc, Layers: layers}
	m.SchemaVersion = 2
	mraw, err := json.Marshal(m)
	if err != nil {
		return Imported{}, fmt.Errorf("encoding manifest: %w", err)
	}
	mdesc, err := store.WriteBytes(ctx, ocispec.MediaTypeImageManifest, mraw)
	if err != nil {
		return Imported{}, fmt.Errorf("storing manifest: %w", err)
	}
	return Imported{Manifest: mdesc, Config: cdesc}, nil
}

// ingestLayer stores r as a layer blob and returns its descriptor and the
// digest of its uncompressed content.
func ingestLayer(ctx context.Context, r io.Reader, store *content.Store) (ocispec.Descriptor, digest.Digest, error) {
	p := newPeekReader(r)
	comp := layer.DetectCompression(p.head())
	pr, pw := io.Pipe()
	done := make(chan checkResult, 1)
	go func() { done <- checkTar(pr) }()
	desc, err := store.Ingest(ctx, layerMediaType(comp), io.TeeReader(p, pw))
	pw.CloseWithError(err) // nil: the checker sees EOF
	res := <-done
	if err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("storing layer: %w", err)
	}
	if res.err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("importing layer: %w", res.err)
	}
	return desc, res.diffID, nil
}

type checkResult struct {
	diffID digest.Digest
	err    error
}

// checkTar decompresses r, hashes the tar and walks its headers. It always
// drains r so the writer side of the pipe never blocks.
func checkTar(r *io.PipeReader) checkResult {
	defer io.Copy(io.Discard, r)
	plain, _, err := layer.Decompress(r)
	if err != nil {
		return checkResult{err: err}
	}
	defer plain.Close()
	h := digest.SHA256.Digester()
	// The same cap as unpacking: a decompression bomb fails here, before
	// anything references the blob.
	capped := &io.LimitedReader{R: plain, N: layer.DefaultMaxSize + 1}
	tee := io.TeeReader(capped, h.Hash())
	tr := tar.NewReader(tee)
	entries := 0
	for {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if capped.N <= 0 {
			return checkResult{err: tooLarge()}
		}
		if err != nil {
			return checkResult{err: fmt.Errorf("not a valid tar archive: %w: %v", ErrInvalid, err)}
		}
		entries++
	}
	if _, err := io.Copy(io.Discard, tee); err != nil { // trailing zero blocks count in the diff ID
		return checkResult{err: fmt.Errorf("reading layer: %w", err)}
	}
	if capped.N <= 0 {
		return checkResult{err: tooLarge()}
	}
	if entries == 0 {
		return checkResult{err: fmt.Errorf("empty tar archive: %w", ErrInvalid)}
	}
	return checkResult{diffID: h.Digest()}
}

func tooLarge() error {
	return fmt.Errorf("%w: more than %d uncompressed bytes: %w", layer.ErrTooLarge, layer.DefaultMaxSize, ErrInvalid)
}
