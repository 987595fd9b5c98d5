package engine

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/archive"
	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/image/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// commitContainer writes the container's changes as a new layer on its
// image, with the container's config (and --change lines) as the image
// config, and names it o.Reference.
func (e *Engine) commitContainer(ctx context.Context, ref string, o CommitOptions) (*image.Image, error) {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	var names []string
	if o.Reference != "" {
		r, err := reference.Parse(o.Reference)
		if err != nil {
			return nil, err
		}
		if r.Digest() != "" {
			return nil, fmt.Errorf("commit reference %q: %w: a digest cannot be given", o.Reference, image.ErrInvalid)
		}
		names = []string{r.String()}
	}
	base, err := e.images.Get(ctx, c.ImageID)
	if err != nil {
		return nil, fmt.Errorf("image of %s: %w", c.ID, err)
	}
	cfg, err := commitConfig(c, base, o)
	if err != nil {
		return nil, err
	}
	lease, err := e.images.Lease(ctx)
	if err != nil {
		return nil, err
	}
	defer lease.Unlock()
	desc, diffID, err := e.writeContainerLayer(ctx, c, o.Pause)
	if err != nil {
		return nil, err
	}
	cfg.RootFS.DiffIDs = append(append([]digest.Digest{}, base.Config.RootFS.DiffIDs...), diffID)
	layers := append(append([]ocispec.Descriptor{}, base.Manifest.Layers...), desc)
	docker := base.Manifest.MediaType != "" && base.Manifest.MediaType != ocispec.MediaTypeImageManifest
	return e.images.Create(ctx, image.CreateOptions{Config: cfg, Layers: layers, Docker: docker}, names...)
}

// writeContainerLayer stores the snapshot diff, with the container frozen
// meanwhile when asked (docker commit's default) so the layer is
// consistent.
func (e *Engine) writeContainerLayer(ctx context.Context, c *container.Container, pause bool) (_ ocispec.Descriptor, _ digest.Digest, retErr error) {
	if pause && c.State.Running && !c.State.Paused {
		d, err := e.driverOf(c)
		if err != nil {
			return ocispec.Descriptor{}, "", err
		}
		if err := d.Pause(c.ID); err != nil {
			return ocispec.Descriptor{}, "", fmt.Errorf("pausing %s: %w", c.ID, err)
		}
		defer func() {
			if err := d.Resume(c.ID); err != nil && retErr == nil {
				retErr = fmt.Errorf("resuming %s after commit: %w", c.ID, err)
			}
		}()
	}
	return e.images.WriteLayer(ctx, layer.Gzip, func(w io.Writer) error {
		return e.images.Snapshots().Diff(ctx, snapshotKey(c), w)
	})
}

// commitConfig is the image config of the commit: the base's, with the
// container's run config (docker copies Cmd, Entrypoint, Env, ... from
// the container) and the --change lines applied on top.
func commitConfig(c *container.Container, base *image.Image, o CommitOptions) (ocispec.Image, error) {
	cfg := base.Config
	now := time.Now().UTC()
	cfg.Created = &now
	cfg.Author = o.Author
	if cc := c.Config; cc != nil {
		ic := &cfg.Config
		ic.User, ic.Env, ic.Cmd, ic.Entrypoint = cc.User, cc.Env, cc.Cmd, cc.Entrypoint
		ic.WorkingDir, ic.Labels, ic.StopSignal = cc.WorkingDir, cc.Labels, cc.StopSignal
		ic.ExposedPorts = map[string]struct{}{}
		for p := range cc.ExposedPorts {
			ic.ExposedPorts[p.String()] = struct{}{}
		}
		ic.Volumes = cc.Volumes
	}
	run := archive.RunConfig{ImageConfig: cfg.Config}
	if err := archive.ApplyChanges(&run, o.Changes); err != nil {
		return cfg, err
	}
	cfg.Config = run.ImageConfig
	cfg.History = append(append([]ocispec.History{}, base.Config.History...), ocispec.History{
		Created: &now, Author: o.Author, Comment: o.Comment, CreatedBy: psCommand(c),
	})
	return cfg, nil
}
