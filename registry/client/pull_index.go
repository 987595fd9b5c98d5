package client

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/image/manifest"
)

// manifestList is a pulled index and the child the image was made from.
type manifestList struct {
	index    ocispec.Index
	selected digest.Digest
}

// fetchIndexChildren keeps the rest of a manifest list: every child
// manifest and its config (small), and with WithAllPlatforms every child's
// layers too, so that a later push can send the index back unchanged. The
// selected child was fetched already. A child the registry cannot serve is
// noted on the warning writer and skipped (push then checks whether the
// target has it), unless every platform was asked for.
func (c *Client) fetchIndexChildren(ctx context.Context, repo name.Repository, list manifestList, opts []remote.Option) (bool, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		fresh bool
		sem   = make(chan struct{}, max(c.jobs, 1))
	)
	for _, child := range list.index.Manifests {
		if child.Digest == list.selected {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			f, err := c.fetchIndexChild(ctx, repo, child, opts)
			mu.Lock()
			defer mu.Unlock()
			fresh = fresh || f
			if err != nil && c.allPlats && first == nil {
				first = fmt.Errorf("platform %s: %w", platformOf(child), err)
			} else if err != nil {
				fmt.Fprintf(c.warn, "note: manifest list entry %s (%s) not kept: %v\n", child.Digest, platformOf(child), err)
			}
		}()
	}
	wg.Wait()
	return fresh, first
}

// fetchIndexChild stores one child of an index: its manifest, its config,
// and (all platforms) its layers. A nested index or an artifact that is not
// an image manifest is kept as a blob only.
func (c *Client) fetchIndexChild(ctx context.Context, repo name.Repository, child ocispec.Descriptor, opts []remote.Option) (bool, error) {
	cs := c.images.Content()
	fresh := false
	if !cs.Has(child.Digest) {
		d, err := remote.Get(repo.Digest(child.Digest.String()), opts...)
		if err != nil {
			return false, err
		}
		if err := cs.Write(ctx, child, bytes.NewReader(d.Manifest)); err != nil {
			return false, err
		}
		fresh = true
	}
	raw, err := cs.ReadAll(child.Digest, 0)
	if err != nil {
		return fresh, err
	}
	if mt, err := manifest.Detect(raw); err != nil || manifest.IsIndex(mt) {
		return fresh, nil
	}
	m, err := manifest.ParseManifest(raw)
	if err != nil {
		return fresh, nil
	}
	if !c.allPlats {
		m.Layers = nil
	}
	f, err := c.fetchBlobs(ctx, repo, m)
	return fresh || f, err
}

// platformOf names a child's platform for messages.
func platformOf(d ocispec.Descriptor) string {
	if d.Platform == nil {
		return "unknown platform"
	}
	return manifest.FormatPlatform(*d.Platform)
}
