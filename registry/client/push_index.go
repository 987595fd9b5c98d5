package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/manifest"
)

// childPlan is how one child of an index reaches the target: already
// there (raw == nil), or its blobs pushed or mounted and then raw put.
type childPlan struct {
	desc   ocispec.Descriptor
	raw    []byte
	config ocispec.Descriptor
	layers []ocispec.Descriptor
}

// rawManifest serves exact stored manifest bytes to remote.Put, so the
// registry receives (and names by) the very digest onggi recorded.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// pushIndex pushes the manifest list img was selected from to r: every
// child (blobs, then the manifest by digest), then the index under r, so
// the pushed index keeps its digest. Children whose content is not stored
// locally must already be in the target repository, or be mountable from
// the repository the image was pulled from on the same registry. When one
// is neither, nothing is pushed, a one-line note goes to the warning
// writer, and ok is false: the caller pushes the selected manifest alone
// (docker's behaviour) rather than an index naming missing manifests.
func (c *Client) pushIndex(ctx context.Context, img *image.Image, r name.Reference, opts []remote.Option) (PushResult, bool, error) {
	repo := r.Context()
	fallback := func(why string) (PushResult, bool, error) {
		fmt.Fprintf(c.warn, "note: pushing only the %s manifest of %s, not its manifest list %s: %s\n",
			manifest.FormatPlatform(img.Config.Platform), r, img.IndexDigest, why)
		return PushResult{}, false, nil
	}
	cs := c.images.Content()
	raw, err := cs.ReadAll(img.IndexDigest, 0)
	if err != nil {
		return fallback("the index is not stored")
	}
	mt, err := manifest.Detect(raw)
	if err != nil || !manifest.IsIndex(mt) {
		return fallback("the stored index is unreadable")
	}
	idx, err := manifest.ParseIndex(raw)
	if err != nil {
		return fallback("the stored index is unreadable")
	}
	from := c.mountSource(img, repo)
	chk := &blobChecker{c: c, ctx: ctx, clients: map[string]*http.Client{}}
	plans := make([]childPlan, 0, len(idx.Manifests))
	for _, child := range idx.Manifests {
		p, why, err := c.planChild(chk, repo, from, child, opts)
		if err != nil {
			return PushResult{}, false, err
		}
		if why != "" {
			return fallback(why)
		}
		plans = append(plans, p)
	}
	for _, p := range plans {
		if err := c.pushChild(ctx, repo, from, p, opts); err != nil {
			return PushResult{}, false, fmt.Errorf("manifest %s (%s): %w", p.desc.Digest, platformOf(p.desc), err)
		}
	}
	if err := remote.Put(r, rawManifest{raw: raw, mt: types.MediaType(mt)}, opts...); err != nil {
		return PushResult{}, false, fmt.Errorf("index %s: %w", img.IndexDigest, err)
	}
	return PushResult{Digest: img.IndexDigest, Size: int64(len(raw))}, true, nil
}

// planChild decides how child reaches repo; why is non-empty when it
// cannot (its content is neither local, nor in repo, nor mountable).
func (c *Client) planChild(chk *blobChecker, repo name.Repository, from name.Reference, child ocispec.Descriptor, opts []remote.Option) (childPlan, string, error) {
	p := childPlan{desc: child}
	there, err := hasManifest(repo.Digest(child.Digest.String()), opts)
	if err != nil || there {
		return p, "", err
	}
	cs := c.images.Content()
	if p.raw, err = cs.ReadAll(child.Digest, 0); err != nil {
		return p, fmt.Sprintf("the %s manifest is neither stored locally nor in %s", platformOf(child), repo), nil
	}
	m, err := manifest.ParseManifest(p.raw)
	if err != nil {
		return p, fmt.Sprintf("the %s entry is not an image manifest and %s lacks it", platformOf(child), repo), nil
	}
	p.config, p.layers = m.Config, m.Layers
	for _, b := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		if cs.Has(b.Digest) {
			continue
		}
		ok, err := chk.has(repo, b.Digest)
		if err == nil && !ok && from != nil {
			ok, err = chk.has(from.Context(), b.Digest)
		}
		if err != nil {
			return p, "", err
		}
		if !ok {
			return p, fmt.Sprintf("the %s content (blob %s) is neither stored locally nor in the target registry (pull with --all-platforms to keep every platform)",
				platformOf(child), b.Digest), nil
		}
	}
	return p, "", nil
}

// pushChild sends one planned child: layers and config (uploaded, mounted
// or found present), then its manifest by digest.
func (c *Client) pushChild(ctx context.Context, repo name.Repository, from name.Reference, p childPlan, opts []remote.Option) error {
	if p.raw == nil {
		return nil
	}
	if err := c.pushBlobs(ctx, repo, p.layers, from, opts); err != nil {
		return err
	}
	cfg, err := partial.CompressedToLayer(&storeLayer{cs: c.images.Content(), desc: p.config})
	if err != nil {
		return err
	}
	if from != nil {
		cfg = &remote.MountableLayer{Layer: cfg, Reference: from}
	}
	if err := remote.WriteLayer(repo, cfg, opts...); err != nil {
		return fmt.Errorf("config %s: %w", p.config.Digest, err)
	}
	mt := p.desc.MediaType
	if d, err := manifest.Detect(p.raw); err == nil {
		mt = d
	}
	return remote.Put(repo.Digest(p.desc.Digest.String()), rawManifest{raw: p.raw, mt: types.MediaType(mt)}, opts...)
}

// hasManifest HEADs a manifest; absent (404) is not an error.
func hasManifest(ref name.Reference, opts []remote.Option) (bool, error) {
	_, err := remote.Head(ref, opts...)
	var terr *transport.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &terr) && (terr.StatusCode == http.StatusNotFound ||
		terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden):
		return false, nil // unreadable counts as absent: the push will say if it is refused
	default:
		return false, fmt.Errorf("checking manifest %s: %w", ref, err)
	}
}

// blobChecker HEADs blobs with one authenticated client per repository.
type blobChecker struct {
	c       *Client
	ctx     context.Context
	clients map[string]*http.Client
}

// has reports whether repo serves blob d. Refused access counts as absent:
// such a blob could not be mounted either.
func (b *blobChecker) has(repo name.Repository, d digest.Digest) (bool, error) {
	hc, ok := b.clients[repo.String()]
	if !ok {
		var err error
		if hc, err = b.c.blobClient(b.ctx, repo); err != nil {
			return false, err
		}
		b.clients[repo.String()] = hc
	}
	u := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", repo.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), d)
	req, err := http.NewRequestWithContext(b.ctx, http.MethodHead, u, nil)
	if err != nil {
		return false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("checking blob %s in %s: %w", d, repo, err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound, http.StatusUnauthorized, http.StatusForbidden:
		return false, nil
	default:
		return false, fmt.Errorf("checking blob %s in %s: %w %d", d, repo, errUnexpectedStatus, resp.StatusCode)
	}
}
