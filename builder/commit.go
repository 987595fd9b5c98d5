package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/manifest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// finish stores the target's state as an image named o.Tags (with
// --label applied) and keeps the other stages' results as untagged
// images the cache holds, so their layers survive an image GC.
func (bd *build) finish(ctx context.Context, st *state) (*image.Image, error) {
	if len(bd.o.Labels) > 0 {
		st = st.clone()
		if st.img.Config.Labels == nil {
			st.img.Config.Labels = map[string]string{}
		}
		maps.Copy(st.img.Config.Labels, bd.o.Labels)
	}
	for _, i := range bd.g.needed() {
		if i == bd.g.target {
			continue
		}
		if s := bd.stageState(i); s != nil && s.imageID == "" && len(s.layers) > 0 {
			img, err := bd.b.createImage(ctx, s)
			if err != nil {
				return nil, err
			}
			if err := bd.b.cache.holdImage(img.ID); err != nil {
				return nil, err
			}
		}
	}
	return bd.b.createImage(ctx, st, bd.o.Tags...)
}

// createImage writes st's config (Docker's fields included: Healthcheck,
// OnBuild, Shell) and manifest and records the image under names.
func (b *Builder) createImage(ctx context.Context, st *state, names ...string) (*image.Image, error) {
	cfg := st.img
	cfg.RootFS.Type = "layers"
	if cfg.Created == nil {
		now := time.Now().UTC()
		cfg.Created = &now
	}
	if cfg.OS == "" {
		p := b.store.Platform()
		cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cmt := ocispec.MediaTypeImageConfig
	m := ocispec.Manifest{Layers: st.layers}
	m.SchemaVersion = 2
	if st.docker {
		cmt, m.MediaType = manifest.MediaTypeDockerConfig, manifest.MediaTypeDockerManifest
		m.Layers = dockerLayers(st.layers)
	} else {
		m.MediaType = ocispec.MediaTypeImageManifest
	}
	cs := b.store.Content()
	cdesc, err := cs.WriteBytes(ctx, cmt, raw)
	if err != nil {
		return nil, fmt.Errorf("writing image config: %w", err)
	}
	m.Config = cdesc
	mraw, mdesc, err := manifest.Marshal(m)
	if err != nil {
		return nil, err
	}
	if _, err := cs.WriteBytes(ctx, mdesc.MediaType, mraw); err != nil {
		return nil, fmt.Errorf("writing image manifest: %w", err)
	}
	return b.store.Put(ctx, mdesc, names...)
}

// dockerLayers gives layers Docker's media types.
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
