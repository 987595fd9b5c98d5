package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/manifest"
	"github.com/onggi/onggi/image/reference"
)

// PullResult describes one pulled image.
type PullResult struct {
	Ref    string        // the reference pulled, normalised (docker.io/library/busybox:latest)
	Digest digest.Digest // digest of the top-level manifest or index
	Image  *image.Image
	Fresh  bool // some content was downloaded (docker's "Downloaded newer image")
}

// Pull fetches ref (tag or digest) into the image store and names it.
func (c *Client) Pull(ctx context.Context, ref string) (*PullResult, error) {
	local, err := reference.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidReference, err)
	}
	r, err := c.parseRef(local.String())
	if err != nil {
		return nil, err
	}
	opts, err := c.remoteOptions(ctx, r.Context().Registry)
	if err != nil {
		return nil, err
	}
	c.progress.Reset()
	lease, err := c.images.Lease(ctx)
	if err != nil {
		return nil, err
	}
	defer lease.Unlock()
	top, err := remote.Get(r, opts...)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", local.Familiar(), err)
	}
	res := &PullResult{Ref: local.String(), Digest: digest.Digest(top.Digest.String())}
	topDesc := ocispec.Descriptor{MediaType: string(top.MediaType), Digest: res.Digest, Size: top.Size}
	putDesc, m, list, err := c.fetchManifests(ctx, r, topDesc, top.Manifest, opts)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", local.Familiar(), err)
	}
	if res.Fresh, err = c.fetchBlobs(ctx, r.Context(), m); err != nil {
		return nil, fmt.Errorf("pulling %s: %w", local.Familiar(), err)
	}
	if list != nil {
		fresh, err := c.fetchIndexChildren(ctx, r.Context(), *list, opts)
		if err != nil {
			return nil, fmt.Errorf("pulling %s: %w", local.Familiar(), err)
		}
		res.Fresh = res.Fresh || fresh
	}
	names := []string{local.String()}
	if local.Digest() == "" {
		byDigest, _ := local.NameOnly().WithDigest(res.Digest)
		names = append(names, byDigest.String())
	}
	if list != nil && putDesc.Digest != topDesc.Digest {
		// Another platform than the store's: keep the index all the same.
		res.Image, err = c.images.PutFromIndex(ctx, topDesc, putDesc, names...)
	} else {
		res.Image, err = c.images.Put(ctx, putDesc, names...)
	}
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", local.Familiar(), err)
	}
	return res, nil
}

// fetchManifests stores the top-level manifest and, for an index, the
// manifest of the wanted platform. It returns the descriptor to record the
// image under (the index itself when the store would pick the same
// platform, so manifest lists are preserved), the image manifest, and the
// manifest list if top is one (its other children are fetched afterwards).
func (c *Client) fetchManifests(ctx context.Context, r name.Reference, top ocispec.Descriptor, raw []byte, opts []remote.Option) (ocispec.Descriptor, ocispec.Manifest, *manifestList, error) {
	if err := c.images.Content().Write(ctx, top, bytes.NewReader(raw)); err != nil {
		return top, ocispec.Manifest{}, nil, err
	}
	mt, err := manifest.Detect(raw)
	if err != nil {
		return top, ocispec.Manifest{}, nil, err
	}
	if !manifest.IsIndex(mt) {
		m, err := manifest.ParseManifest(raw)
		return top, m, nil, err
	}
	idx, err := manifest.ParseIndex(raw)
	if err != nil {
		return top, ocispec.Manifest{}, nil, err
	}
	want := c.images.Platform()
	if c.platform != nil {
		want = *c.platform
	}
	sel, err := manifest.SelectPlatform(idx, want)
	if err != nil {
		return top, ocispec.Manifest{}, nil, err
	}
	m, err := c.fetchManifest(ctx, r.Context(), sel, opts)
	if err != nil {
		return top, m, nil, err
	}
	if storeSel, err := manifest.SelectPlatform(idx, c.images.Platform()); err == nil && storeSel.Digest == sel.Digest {
		return top, m, &manifestList{index: idx, selected: sel.Digest}, nil
	}
	return sel, m, &manifestList{index: idx, selected: sel.Digest}, nil // another platform than the store's
}

// fetchManifest stores the image manifest desc of repo (unless already
// stored) and parses it.
func (c *Client) fetchManifest(ctx context.Context, repo name.Repository, desc ocispec.Descriptor, opts []remote.Option) (ocispec.Manifest, error) {
	cs := c.images.Content()
	if !cs.Has(desc.Digest) {
		child, err := remote.Get(repo.Digest(desc.Digest.String()), opts...)
		if err != nil {
			return ocispec.Manifest{}, err
		}
		if err := cs.Write(ctx, desc, bytes.NewReader(child.Manifest)); err != nil {
			return ocispec.Manifest{}, err
		}
	}
	raw, err := cs.ReadAll(desc.Digest, 0)
	if err != nil {
		return ocispec.Manifest{}, err
	}
	return manifest.ParseManifest(raw)
}

// fetchBlobs downloads the config and layers of m not yet stored, several
// at a time. It reports whether anything was downloaded.
func (c *Client) fetchBlobs(ctx context.Context, repo name.Repository, m ocispec.Manifest) (bool, error) {
	blobs := append([]ocispec.Descriptor{m.Config}, m.Layers...)
	var hc *http.Client // one authenticated client (one token) for all blobs
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		firstEr error
		fresh   bool
		sem     = make(chan struct{}, max(c.jobs, 1))
	)
	for i, b := range blobs {
		isLayer := i > 0
		if c.images.Content().Has(b.Digest) {
			if isLayer {
				c.progress.Status(b.Digest, "Already exists")
			}
			continue
		}
		if isLayer {
			c.progress.Status(b.Digest, "Pulling fs layer")
		}
		if hc == nil {
			var err error
			if hc, err = c.blobClient(ctx, repo); err != nil {
				return false, err
			}
		}
		fresh = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := c.fetchBlob(ctx, hc, repo, b, isLayer); err != nil {
				mu.Lock()
				if firstEr == nil {
					firstEr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return fresh, firstEr
}

// fetchBlob downloads one blob. A dropped connection resumes where it
// stopped (resumingReader); any other failure, a digest mismatch included,
// starts the blob again. The content store verifies digest and size before
// the blob becomes visible.
func (c *Client) fetchBlob(ctx context.Context, hc *http.Client, repo name.Repository, b ocispec.Descriptor, isLayer bool) error {
	var err error
	for attempt := 0; attempt <= c.retries; attempt++ {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err = c.downloadOnce(ctx, hc, repo, b, isLayer); err == nil {
			if isLayer {
				c.progress.Status(b.Digest, "Pull complete")
			}
			return nil
		}
		if isLayer {
			c.progress.Status(b.Digest, fmt.Sprintf("Retrying (%d/%d)", attempt+1, c.retries))
		}
	}
	return fmt.Errorf("blob %s: %w", b.Digest, err)
}

func (c *Client) downloadOnce(ctx context.Context, hc *http.Client, repo name.Repository, b ocispec.Descriptor, isLayer bool) error {
	rc := newResumingReader(ctx, hc, repo, b.Digest, b.Size, c.retries)
	defer rc.Close()
	var src io.Reader = rc
	if isLayer && c.progress != nil {
		src = &countingReader{r: rc, p: c.progress, d: b.Digest, verb: "Downloading", total: b.Size}
	}
	if err := c.images.Content().Write(ctx, b, src); err != nil {
		return err
	}
	if isLayer {
		c.progress.Status(b.Digest, "Download complete")
	}
	return nil
}

// Tags lists the tags of repository repo (for pull --all-tags).
func (c *Client) Tags(ctx context.Context, repo string) ([]string, error) {
	local, err := reference.ParseName(repo)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidReference, err)
	}
	r, err := name.NewRepository(local.Name(), c.nameOptions(local.Name())...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidReference, err)
	}
	opts, err := c.remoteOptions(ctx, r.Registry)
	if err != nil {
		return nil, err
	}
	tags, err := remote.List(r, opts...)
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", local.FamiliarName(), err)
	}
	return tags, nil
}
