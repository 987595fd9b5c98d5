package image

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/onggi/onggi/image/manifest"
	"github.com/onggi/onggi/image/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is an image as the store knows it.
type Image struct {
	// ID is the digest of the config blob (docker's image ID).
	ID digest.Digest
	// RepoTags are the full tag references naming the image
	// (docker.io/library/busybox:latest); see FamiliarTags for display.
	RepoTags []string
	// RepoDigests are the full digest references naming the image
	// (docker.io/library/busybox@sha256:…).
	RepoDigests []string
	// ManifestDigest is the digest of the manifest blob; Target is its full
	// descriptor (media type, digest, size), e.g. for an archive's index.
	ManifestDigest digest.Digest
	Target         ocispec.Descriptor
	// IndexDigest is the index the manifest was selected from, if any.
	IndexDigest digest.Digest
	// Manifest is the decoded manifest; Manifest.MediaType tells OCI from
	// Docker schema 2.
	Manifest ocispec.Manifest
	// Config is the decoded config; ConfigJSON its exact bytes (inspect
	// shows fields ocispec.Image does not model, e.g. Healthcheck).
	Config     ocispec.Image
	ConfigJSON []byte
	// Size is the bytes of content: config plus layer blobs (compressed).
	Size int64
	// Created is the config's creation time (zero if absent).
	Created time.Time
	// Added is when the image was stored here.
	Added time.Time
}

// FamiliarTags are RepoTags in docker's short form (busybox:latest).
func (img *Image) FamiliarTags() []string { return familiar(img.RepoTags) }

// FamiliarDigests are RepoDigests in docker's short form.
func (img *Image) FamiliarDigests() []string { return familiar(img.RepoDigests) }

// Dangling reports whether no name points at the image.
func (img *Image) Dangling() bool { return len(img.RepoTags) == 0 && len(img.RepoDigests) == 0 }

func familiar(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = reference.Familiar(s)
	}
	return out
}

// Put records the image whose manifest (or index: the store's platform is
// selected from it) is desc and names it. The manifest, config and layer
// blobs must already be in Content (hold a Lease across writing them and
// Put). Names are moved from any image they pointed at before, as docker
// does; a name with a digest becomes a RepoDigest. Putting an image twice
// is fine (names are added).
func (s *Store) Put(ctx context.Context, desc ocispec.Descriptor, names ...string) (*Image, error) {
	refs, err := parseNames(names)
	if err != nil {
		return nil, err
	}
	// GC must not run between checking the blobs and recording the image.
	lease, err := s.Lease(ctx)
	if err != nil {
		return nil, err
	}
	defer lease.Unlock()
	img, err := s.resolveManifest(desc)
	if err != nil {
		return nil, err
	}
	return s.record(ctx, img, refs)
}

// record stores img under refs; the caller holds a lease.
func (s *Store) record(ctx context.Context, img *Image, refs []string) (*Image, error) {
	for _, n := range refs {
		if r, _ := reference.ParseName(n); r.Digest() != "" && r.Digest() != img.ManifestDigest && r.Digest() != img.IndexDigest {
			return nil, fmt.Errorf("name %s: %w: the image's manifest is %s", reference.Familiar(n), ErrInvalid, img.ManifestDigest)
		}
	}
	err := s.update(ctx, func(d *db) error {
		rec, ok := d.Images[img.ID]
		if !ok {
			rec.Added = time.Now().UTC()
		}
		rec.Manifest, rec.Index = img.ManifestDigest, img.IndexDigest
		d.Images[img.ID] = rec
		for _, r := range refs {
			d.Names[r] = img.ID
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storing image %s: %w", img.ID, err)
	}
	return s.Get(ctx, img.ID.String())
}

func parseNames(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		r, err := reference.Parse(n)
		if err != nil {
			return nil, err
		}
		if r.Digest() != "" && r.Tag() != "" {
			r, _ = r.WithDigest(r.Digest())
		}
		out = append(out, r.String())
	}
	return out, nil
}

// resolveManifest reads desc (selecting from an index) and checks that the
// config and layers it names are stored.
func (s *Store) resolveManifest(desc ocispec.Descriptor) (*Image, error) {
	raw, err := s.content.ReadAll(desc.Digest, 0)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	img := &Image{ManifestDigest: desc.Digest}
	mt, err := manifest.Detect(raw)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	if manifest.IsIndex(mt) {
		idx, err := manifest.ParseIndex(raw)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", desc.Digest, err)
		}
		sel, err := manifest.SelectPlatform(idx, s.platform)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", desc.Digest, err)
		}
		img.IndexDigest, img.ManifestDigest = desc.Digest, sel.Digest
	}
	if err := s.load(img); err != nil {
		return nil, err
	}
	for _, l := range img.Manifest.Layers {
		if !s.content.Has(l.Digest) {
			return nil, fmt.Errorf("image %s: layer %s: %w", img.ID, l.Digest, ErrNotFound)
		}
	}
	return img, nil
}

// load fills img from its manifest digest.
func (s *Store) load(img *Image) error {
	raw, err := s.content.ReadAll(img.ManifestDigest, 0)
	if err != nil {
		return fmt.Errorf("reading manifest: %w", err)
	}
	m, err := manifest.ParseManifest(raw)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", img.ManifestDigest, err)
	}
	cfgRaw, err := s.content.ReadAll(m.Config.Digest, 0)
	if err != nil {
		return fmt.Errorf("manifest %s: reading config: %w", img.ManifestDigest, err)
	}
	cfg, err := manifest.ParseConfig(cfgRaw)
	if err != nil {
		return fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return fmt.Errorf("image %s: %w: %d layers but %d diff IDs", m.Config.Digest, ErrInvalid, len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	img.ID, img.Manifest, img.Config, img.ConfigJSON = m.Config.Digest, m, cfg, cfgRaw
	img.Target = ocispec.Descriptor{MediaType: m.MediaType, Digest: img.ManifestDigest, Size: int64(len(raw))}
	img.Size = m.Config.Size
	for _, l := range m.Layers {
		img.Size += l.Size
	}
	if cfg.Created != nil {
		img.Created = *cfg.Created
	}
	return nil
}

// Get finds an image by name (busybox, busybox:1, name@sha256:…), full ID
// (with or without "sha256:"), or unique ID prefix, in docker's order.
func (s *Store) Get(ctx context.Context, ref string) (*Image, error) {
	d, err := s.readDB()
	if err != nil {
		return nil, err
	}
	id, err := d.resolve(ref)
	if err != nil {
		return nil, err
	}
	return s.build(d, id)
}

// build assembles the Image id from the table and its blobs.
func (s *Store) build(d *db, id digest.Digest) (*Image, error) {
	rec := d.Images[id]
	img := &Image{ManifestDigest: rec.Manifest, IndexDigest: rec.Index, Added: rec.Added}
	if err := s.load(img); err != nil {
		return nil, fmt.Errorf("image %s: %w", id, err)
	}
	for _, n := range d.namesOf(id) {
		r, err := reference.ParseName(n)
		if err != nil {
			continue
		}
		if r.Digest() != "" {
			img.RepoDigests = append(img.RepoDigests, n)
		} else {
			img.RepoTags = append(img.RepoTags, n)
		}
	}
	sort.Strings(img.RepoTags)
	sort.Strings(img.RepoDigests)
	return img, nil
}

// resolve maps a user's image reference to an image ID.
func (d *db) resolve(ref string) (digest.Digest, error) {
	if reference.IsID(ref) {
		id := digest.Digest("sha256:" + strings.TrimPrefix(ref, "sha256:"))
		if _, ok := d.Images[id]; ok {
			return id, nil
		}
		return "", fmt.Errorf("no such image: %s: %w", ref, ErrNotFound)
	}
	if r, err := reference.Parse(ref); err == nil {
		if id, ok := d.Names[r.String()]; ok {
			return id, nil
		}
		if dg := r.Digest(); dg != "" {
			if id, ok := d.byManifest(r.Name(), dg); ok {
				return id, nil
			}
		}
	}
	if id, ok, err := d.byPrefix(ref); ok || err != nil {
		return id, err
	}
	return "", fmt.Errorf("no such image: %s: %w", ref, ErrNotFound)
}

// byManifest finds the image of repository name whose manifest is dg.
func (d *db) byManifest(name string, dg digest.Digest) (digest.Digest, bool) {
	for id, rec := range d.Images {
		if rec.Manifest != dg && rec.Index != dg {
			continue
		}
		for _, n := range d.namesOf(id) {
			if r, err := reference.ParseName(n); err == nil && r.Name() == name {
				return id, true
			}
		}
	}
	return "", false
}

// byPrefix resolves a short ID; docker requires it to be unique.
func (d *db) byPrefix(ref string) (digest.Digest, bool, error) {
	p := strings.TrimPrefix(ref, "sha256:")
	if p == "" || strings.Trim(p, "0123456789abcdef") != "" {
		return "", false, nil
	}
	var found digest.Digest
	for id := range d.Images {
		if strings.HasPrefix(id.Encoded(), p) {
			if found != "" {
				return "", false, fmt.Errorf("image ID prefix %q is ambiguous: %w", ref, ErrInvalid)
			}
			found = id
		}
	}
	return found, found != "", nil
}

// List returns every image, newest first (docker images' order).
func (s *Store) List(ctx context.Context) ([]*Image, error) {
	d, err := s.readDB()
	if err != nil {
		return nil, err
	}
	out := make([]*Image, 0, len(d.Images))
	for id := range d.Images {
		img, err := s.build(d, id)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
