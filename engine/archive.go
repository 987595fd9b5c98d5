package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/archive"
	"github.com/onggi/onggi/image/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// SaveImages writes the images refs name to w as one archive. A tag saves
// that tag, a bare repository name every tag of it (as docker does), an ID
// the image untagged.
func (e *Engine) SaveImages(ctx context.Context, w io.Writer, refs []string, format archive.Format) error {
	if len(refs) == 0 {
		return fmt.Errorf("save needs at least one image: %w", image.ErrInvalid)
	}
	var order []string
	byID := map[string]*archive.Image{}
	for _, ref := range refs {
		img, err := e.images.Get(ctx, ref)
		if err != nil {
			return err
		}
		entry, ok := byID[img.ID.String()]
		if !ok {
			desc, err := e.manifestDescriptor(img)
			if err != nil {
				return err
			}
			entry = &archive.Image{Manifest: desc}
			byID[img.ID.String()] = entry
			order = append(order, img.ID.String())
		}
		for _, n := range savedNames(img, ref) {
			if !contains(entry.Names, n) {
				entry.Names = append(entry.Names, n)
				entry.Familiar = append(entry.Familiar, reference.Familiar(n))
			}
		}
	}
	images := make([]archive.Image, 0, len(order))
	for _, id := range order {
		images = append(images, *byID[id])
	}
	return archive.Save(ctx, w, e.images.Content(), format, images)
}

func (e *Engine) manifestDescriptor(img *image.Image) (ocispec.Descriptor, error) {
	info, err := e.images.Content().Info(img.ManifestDigest)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("image %s: %w", img.ID, err)
	}
	mt := img.Manifest.MediaType
	if mt == "" {
		mt = ocispec.MediaTypeImageManifest
	}
	return ocispec.Descriptor{MediaType: mt, Digest: img.ManifestDigest, Size: info.Size}, nil
}

// savedNames are the full names ref stands for on img.
func savedNames(img *image.Image, ref string) []string {
	if reference.IsID(ref) {
		return nil
	}
	r, err := reference.ParseName(ref)
	if err != nil {
		return nil // a short ID prefix
	}
	if r.Tag() == "" && r.Digest() == "" {
		var out []string
		for _, t := range img.RepoTags {
			if tr, err := reference.ParseName(t); err == nil && tr.Name() == r.Name() {
				out = append(out, t)
			}
		}
		return out
	}
	if r.Digest() != "" {
		return nil
	}
	if full, err := reference.Parse(ref); err == nil && contains(img.RepoTags, full.String()) {
		return []string{full.String()}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// LoadResult is one image `load` stored.
type LoadResult struct {
	ID    string
	Names []string // familiar names it got
}

// LoadImages reads a docker-archive or OCI archive from r and stores its
// images under their names. A lease keeps GC away from blobs written but
// not yet referenced; if the process dies midway, only unreferenced blobs
// and ingest temp files remain, which the next GC removes.
func (e *Engine) LoadImages(ctx context.Context, r io.Reader) ([]LoadResult, error) {
	lease, err := e.images.Lease(ctx)
	if err != nil {
		return nil, err
	}
	defer lease.Unlock()
	loaded, err := archive.Load(ctx, r, e.images.Content(), archive.LoadOptions{Platform: e.images.Platform()})
	if err != nil {
		return nil, fmt.Errorf("loading archive: %w", err)
	}
	var out []LoadResult
	for _, l := range loaded {
		names, err := validNames(l.Names)
		if err != nil {
			return out, err
		}
		img, err := e.images.Put(ctx, l.Manifest, names...)
		if err != nil {
			return out, fmt.Errorf("storing loaded image %s: %w", l.Config.Digest, err)
		}
		res := LoadResult{ID: img.ID.String()}
		for _, n := range names {
			if full, err := reference.Parse(n); err == nil {
				res.Names = append(res.Names, full.Familiar())
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// validNames normalises archive names; a malformed one fails the load, as
// in docker, rather than silently loading the image untagged.
func validNames(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		r, err := reference.Parse(n)
		if err != nil {
			return nil, fmt.Errorf("archive names image %q: %w", n, err)
		}
		out = append(out, r.String())
	}
	return out, nil
}

// ImportOptions are `import` flags.
type ImportOptions struct {
	Ref     string   // REPOSITORY[:TAG], optional
	Changes []string // --change lines
	Message string   // -m
	Source  string   // file name, or "-"
}

// ImportImage stores the rootfs tar read from r as a one-layer image and
// returns its ID.
func (e *Engine) ImportImage(ctx context.Context, r io.Reader, opts ImportOptions) (string, error) {
	var names []string
	if opts.Ref != "" {
		ref, err := reference.Parse(opts.Ref)
		if err != nil {
			return "", err
		}
		if ref.Digest() != "" {
			return "", fmt.Errorf("import reference %q: %w: a digest cannot be given", opts.Ref, image.ErrInvalid)
		}
		names = []string{ref.String()}
	}
	lease, err := e.images.Lease(ctx)
	if err != nil {
		return "", err
	}
	defer lease.Unlock()
	imp, err := archive.Import(ctx, r, e.images.Content(), archive.ImportOptions{
		Changes: opts.Changes, Message: opts.Message, Source: opts.Source, Platform: e.images.Platform(),
	})
	if err != nil {
		return "", err
	}
	img, err := e.images.Put(ctx, imp.Manifest, names...)
	if err != nil {
		return "", err
	}
	return img.ID.String(), nil
}
