package archive

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// loadIndex resolves the images index.json names. Entries for the same
// manifest (one per name) become one image.
func loadIndex(ctx context.Context, raw []byte, store *content.Store, platform ocispec.Platform) ([]Loaded, error) {
	var index ocispec.Index
	if err := decodeJSON(raw, "index.json", &index); err != nil {
		return nil, err
	}
	var out []Loaded
	byManifest := map[digest.Digest]int{}
	for _, desc := range index.Manifests {
		img, err := resolveManifest(ctx, store, desc, platform, 0)
		if err != nil {
			return nil, err
		}
		selected := img.Manifest.Digest
		if idx, ok := directIndex(ctx, store, desc, selected); ok {
			img.Manifest = idx
		}
		if name := indexEntryName(desc.Annotations); name != "" {
			img.Names = []string{name}
		}
		if i, ok := byManifest[selected]; ok {
			out[i].Names = appendNew(out[i].Names, img.Names...)
			if manifest.IsIndex(img.Manifest.MediaType) {
				out[i].Manifest = img.Manifest
			}
			continue
		}
		byManifest[selected] = len(out)
		out = append(out, img)
	}
	return out, nil
}

// directIndex returns desc as the descriptor to store the image under when
// desc is a multi-platform index listing the selected manifest directly:
// the image store selects the same platform from it and records the index,
// so a later push sends the manifest list with its digest unchanged.
// Nested indexes keep the selected manifest (the store resolves one level).
func directIndex(ctx context.Context, store *content.Store, desc ocispec.Descriptor, selected digest.Digest) (ocispec.Descriptor, bool) {
	if desc.Digest == selected {
		return ocispec.Descriptor{}, false
	}
	raw, err := readBlob(ctx, store, desc)
	if err != nil {
		return ocispec.Descriptor{}, false
	}
	mt, err := manifest.Detect(raw)
	if err != nil || !manifest.IsIndex(mt) {
		return ocispec.Descriptor{}, false
	}
	idx, err := manifest.ParseIndex(raw)
	if err != nil {
		return ocispec.Descriptor{}, false
	}
	for _, m := range idx.Manifests {
		if m.Digest == selected {
			return ocispec.Descriptor{MediaType: mt, Digest: desc.Digest, Size: int64(len(raw))}, true
		}
	}
	return ocispec.Descriptor{}, false
}

// indexEntryName picks the image name of an index.json entry. docker 25+
// and containerd put the full name in io.containerd.image.name and only the
// tag in ref.name, so ref.name counts only when the former is absent.
func indexEntryName(ann map[string]string) string {
	if n := ann[AnnotationImageName]; n != "" {
		return n
	}
	return ann[ocispec.AnnotationRefName]
}

// resolveManifest follows an index down to the platform's image manifest and
// checks that the config and every layer are stored.
func resolveManifest(ctx context.Context, store *content.Store, desc ocispec.Descriptor, platform ocispec.Platform, depth int) (Loaded, error) {
	if depth > 4 {
		return Loaded{}, fmt.Errorf("index %s nests too deep: %w", desc.Digest, ErrInvalid)
	}
	raw, err := readBlob(ctx, store, desc)
	if err != nil {
		return Loaded{}, err
	}
	var probe struct {
		MediaType string               `json:"mediaType"`
		Manifests []ocispec.Descriptor `json:"manifests"`
		Config    *ocispec.Descriptor  `json:"config"`
	}
	if err := decodeJSON(raw, "manifest "+desc.Digest.String(), &probe); err != nil {
		return Loaded{}, err
	}
	if manifest.IsIndex(desc.MediaType) || manifest.IsIndex(probe.MediaType) || (probe.Config == nil && probe.Manifests != nil) {
		child, err := manifest.SelectPlatform(ocispec.Index{Manifests: probe.Manifests}, platform)
		if err != nil {
			return Loaded{}, fmt.Errorf("index %s: %w", desc.Digest, err)
		}
		return resolveManifest(ctx, store, child, platform, depth+1)
	}
	var m ocispec.Manifest
	if err := decodeJSON(raw, "manifest "+desc.Digest.String(), &m); err != nil {
		return Loaded{}, err
	}
	if m.Config.Digest == "" {
		return Loaded{}, fmt.Errorf("manifest %s has no config: %w", desc.Digest, ErrInvalid)
	}
	for _, d := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		if err := checkStored(ctx, store, d.Digest); err != nil {
			return Loaded{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
		}
	}
	mdesc := ocispec.Descriptor{MediaType: manifestMediaType(firstNonEmpty(desc.MediaType, m.MediaType)), Digest: desc.Digest, Size: int64(len(raw))}
	return Loaded{Manifest: mdesc, Config: m.Config}, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func checkStored(ctx context.Context, store *content.Store, d digest.Digest) error {
	if _, err := store.Info(d); err != nil {
		return fmt.Errorf("blob %s is neither in the archive nor in the store: %w", d, err)
	}
	return nil
}

// loadDockerManifest resolves manifest.json entries. Entries whose config an
// OCI index already provided only contribute names; the others (archives
// from docker < 25 or skopeo) get an OCI manifest generated over the stored
// blobs, since docker's legacy format has none.
func loadDockerManifest(ctx context.Context, raw []byte, c *archiveContents, store *content.Store, known map[digest.Digest]bool) ([]Loaded, error) {
	var entries []dockerManifestEntry
	if err := decodeJSON(raw, "manifest.json", &entries); err != nil {
		return nil, err
	}
	var out []Loaded
	for _, e := range entries {
		cfg, err := c.resolve(e.Config)
		if err != nil {
			return nil, err
		}
		if known[cfg.desc.Digest] {
			out = append(out, Loaded{Config: cfg.desc, Names: e.RepoTags})
			continue
		}
		img, err := buildManifest(ctx, store, c, e, cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	return out, nil
}

func buildManifest(ctx context.Context, store *content.Store, c *archiveContents, e dockerManifestEntry, cfg ingestedBlob) (Loaded, error) {
	cfgRaw, err := readBlob(ctx, store, cfg.desc)
	if err != nil {
		return Loaded{}, err
	}
	var config ocispec.Image
	if err := decodeJSON(cfgRaw, "image config "+e.Config, &config); err != nil {
		return Loaded{}, err
	}
	if len(config.RootFS.DiffIDs) != len(e.Layers) {
		return Loaded{}, fmt.Errorf("image config %s lists %d layers, manifest.json %d: %w", e.Config, len(config.RootFS.DiffIDs), len(e.Layers), ErrInvalid)
	}
	m := ocispec.Manifest{
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cfg.desc.Digest, Size: cfg.desc.Size},
		Layers:    []ocispec.Descriptor{},
	}
	m.SchemaVersion = 2
	for _, l := range e.Layers {
		b, err := c.resolve(l)
		if err != nil {
			return Loaded{}, err
		}
		m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: layerMediaType(b.compression), Digest: b.desc.Digest, Size: b.desc.Size})
	}
	mraw, err := json.Marshal(m)
	if err != nil {
		return Loaded{}, fmt.Errorf("encoding manifest for %s: %w", e.Config, err)
	}
	mdesc, err := store.WriteBytes(ctx, ocispec.MediaTypeImageManifest, mraw)
	if err != nil {
		return Loaded{}, fmt.Errorf("storing manifest for %s: %w", e.Config, err)
	}
	return Loaded{
		Manifest: mdesc,
		Config:   m.Config,
		Names:    e.RepoTags,
	}, nil
}
