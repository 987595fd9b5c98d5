package client

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/reference"
)

// PushResult describes one pushed tag.
type PushResult struct {
	Ref    string        // where it went (docker.io/library/x:tag)
	Digest digest.Digest // the manifest's digest
	Size   int64         // the manifest's size
}

// Push uploads local image src to each target reference (default: src's
// own name). Blobs the registry has are skipped; blobs that exist in
// another repository of the same registry the image came from are mounted.
func (c *Client) Push(ctx context.Context, src string, targets ...string) ([]PushResult, error) {
	img, err := c.images.Get(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("pushing %s: %w", src, err)
	}
	if len(targets) == 0 {
		targets = []string{src}
	}
	li, err := c.localImage(img)
	if err != nil {
		return nil, fmt.Errorf("pushing %s: %w", src, err)
	}
	var out []PushResult
	for _, t := range targets {
		res, err := c.pushOne(ctx, img, li, t)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

func (c *Client) pushOne(ctx context.Context, img *image.Image, li v1.Image, target string) (PushResult, error) {
	local, err := reference.Parse(target)
	if err != nil {
		return PushResult{}, fmt.Errorf("%w: %w", ErrInvalidReference, err)
	}
	r, err := c.parseRef(local.String())
	if err != nil {
		return PushResult{}, err
	}
	opts, err := c.remoteOptions(ctx, r.Context().Registry)
	if err != nil {
		return PushResult{}, err
	}
	c.progress.Printf("The push refers to repository [%s]", local.Name())
	if img.IndexDigest != "" {
		res, ok, err := c.pushIndex(ctx, img, r, opts)
		if err != nil || ok {
			if err != nil {
				err = fmt.Errorf("pushing %s: %w", local.Familiar(), err)
			}
			res.Ref = local.String()
			return res, err
		}
	}
	if err := c.pushLayers(ctx, r.Context(), img, opts); err != nil {
		return PushResult{}, fmt.Errorf("pushing %s: %w", local.Familiar(), err)
	}
	if err := remote.Write(r, li, opts...); err != nil {
		return PushResult{}, fmt.Errorf("pushing %s: %w", local.Familiar(), err)
	}
	return PushResult{Ref: local.String(), Digest: img.ManifestDigest, Size: rawSize(li)}, nil
}

func rawSize(li v1.Image) int64 {
	raw, _ := li.RawManifest()
	return int64(len(raw))
}

// pushLayers uploads (or mounts) each layer in parallel with per-layer
// progress, so that the manifest push that follows finds them all.
func (c *Client) pushLayers(ctx context.Context, repo name.Repository, img *image.Image, opts []remote.Option) error {
	return c.pushBlobs(ctx, repo, img.Manifest.Layers, c.mountSource(img, repo), opts)
}

// pushBlobs uploads, mounts from from (if not nil) or finds present each
// of blobs, several at a time.
func (c *Client) pushBlobs(ctx context.Context, repo name.Repository, blobs []ocispec.Descriptor, from name.Reference, opts []remote.Option) error {
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
		sem   = make(chan struct{}, max(c.jobs, 1))
	)
	for _, l := range blobs {
		c.progress.Status(l.Digest, "Preparing")
	}
	for _, l := range blobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := c.pushLayer(repo, l, from, opts); err != nil {
				errMu.Lock()
				if first == nil {
					first = fmt.Errorf("layer %s: %w", l.Digest, err)
				}
				errMu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

func (c *Client) pushLayer(repo name.Repository, l ocispec.Descriptor, from name.Reference, opts []remote.Option) error {
	cl := &storeLayer{cs: c.images.Content(), desc: l, progress: c.progress}
	layer, err := partial.CompressedToLayer(cl)
	if err != nil {
		return err
	}
	if from != nil {
		layer = &remote.MountableLayer{Layer: layer, Reference: from}
	}
	if err := remote.WriteLayer(repo, layer, opts...); err != nil {
		return err
	}
	switch {
	case cl.uploaded.Load():
		c.progress.Status(l.Digest, "Pushed")
	case from != nil:
		c.progress.Status(l.Digest, "Mounted from "+from.Context().RepositoryStr())
	default:
		c.progress.Status(l.Digest, "Layer already exists")
	}
	return nil
}

// mountSource finds a repository on the target registry the image was
// pulled from (its RepoDigests), from which layers can be mounted.
func (c *Client) mountSource(img *image.Image, target name.Repository) name.Reference {
	for _, rd := range img.RepoDigests {
		r, err := c.parseRef(rd)
		if err != nil {
			continue
		}
		if r.Context().RegistryStr() == target.RegistryStr() && r.Context().RepositoryStr() != target.RepositoryStr() {
			return r
		}
	}
	return nil
}

// localImage adapts a stored image to go-containerregistry's v1.Image,
// serving the exact stored manifest bytes so the digest is kept.
func (c *Client) localImage(img *image.Image) (v1.Image, error) {
	cs := c.images.Content()
	raw, err := cs.ReadAll(img.ManifestDigest, 0)
	if err != nil {
		return nil, err
	}
	mt := img.Manifest.MediaType
	if mt == "" {
		mt = ocispec.MediaTypeImageManifest
	}
	return partial.CompressedToImage(&storeImage{cs: cs, img: img, raw: raw, mt: types.MediaType(mt), progress: c.progress})
}

type storeImage struct {
	cs       *content.Store
	img      *image.Image
	raw      []byte
	mt       types.MediaType
	progress *Progress
}

func (s *storeImage) RawConfigFile() ([]byte, error)      { return s.img.ConfigJSON, nil }
func (s *storeImage) MediaType() (types.MediaType, error) { return s.mt, nil }
func (s *storeImage) RawManifest() ([]byte, error)        { return s.raw, nil }

func (s *storeImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range s.img.Manifest.Layers {
		if l.Digest.String() == h.String() {
			return &storeLayer{cs: s.cs, desc: l, progress: s.progress}, nil
		}
	}
	if s.img.Manifest.Config.Digest.String() == h.String() {
		return &storeLayer{cs: s.cs, desc: s.img.Manifest.Config}, nil
	}
	return nil, fmt.Errorf("blob %s not in image %s", h, s.img.ID)
}

// storeLayer is a blob of the content store as a compressed layer.
type storeLayer struct {
	cs       *content.Store
	desc     ocispec.Descriptor
	progress *Progress
	uploaded atomic.Bool
}

func (l *storeLayer) Digest() (v1.Hash, error) { return v1.NewHash(l.desc.Digest.String()) }
func (l *storeLayer) Size() (int64, error)     { return l.desc.Size, nil }
func (l *storeLayer) MediaType() (types.MediaType, error) {
	return types.MediaType(l.desc.MediaType), nil
}

func (l *storeLayer) Compressed() (io.ReadCloser, error) {
	f, err := l.cs.Open(l.desc.Digest)
	if err != nil {
		return nil, err
	}
	l.uploaded.Store(true)
	if l.progress == nil {
		return f, nil
	}
	l.progress.Status(l.desc.Digest, "Pushing")
	return struct {
		io.Reader
		io.Closer
	}{&countingReader{r: f, p: l.progress, d: l.desc.Digest, verb: "Pushing", total: l.desc.Size}, f}, nil
}
