package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/onggi/onggi/image"
	"github.com/onggi/onggi/image/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImageSummary is one image of `images`, shaped as docker's API
// (GET /images/json) returns it; names are in familiar form.
type ImageSummary struct {
	ID          string `json:"Id"`
	ParentID    string `json:"ParentId"`
	RepoTags    []string
	RepoDigests []string
	Created     int64
	Size        int64
	SharedSize  int64
	Labels      map[string]string
	Containers  int64
	// Manifest is the digest of the image's manifest (or of the index it
	// came from), what docker's containerd store shows in --digests.
	Manifest string `json:"Manifest,omitempty"`
}

// ImageListOptions are `images` flags.
type ImageListOptions struct {
	// All is accepted for compatibility: onggi has no intermediate images.
	All bool
	// Filters: dangling=true|false, reference=PATTERN (any may match),
	// label=KEY or KEY=VALUE (all must match).
	Filters map[string][]string
}

// ListImages returns the images matching opts, newest first.
func (e *Engine) ListImages(ctx context.Context, opts ImageListOptions) ([]ImageSummary, error) {
	match, err := imageFilter(opts.Filters)
	if err != nil {
		return nil, err
	}
	imgs, err := e.images.List(ctx)
	if err != nil {
		return nil, err
	}
	out := []ImageSummary{}
	for _, img := range imgs {
		tags, ok := match(img)
		if !ok {
			continue
		}
		s := summarize(img)
		s.RepoTags = tags
		s.Containers = int64(len(e.imageUsers(img.ID)))
		out = append(out, s)
	}
	return out, nil
}

func summarize(img *image.Image) ImageSummary {
	md := img.ManifestDigest
	if img.IndexDigest != "" {
		md = img.IndexDigest
	}
	return ImageSummary{
		ID: img.ID.String(), RepoTags: img.FamiliarTags(), RepoDigests: img.FamiliarDigests(),
		Created: img.Created.Unix(), Size: img.Size, Labels: img.Config.Config.Labels,
		Containers: 0, SharedSize: -1, Manifest: md.String(),
	}
}

// imageFilter compiles docker's image filters; it returns, for a matching
// image, the familiar tags to show (a reference filter hides the others).
func imageFilter(f map[string][]string) (func(*image.Image) ([]string, bool), error) {
	for k, vals := range f {
		switch k {
		case "dangling":
			for _, v := range vals {
				if v != "true" && v != "false" && v != "1" && v != "0" {
					return nil, fmt.Errorf("invalid filter 'dangling=%s': %w", v, image.ErrInvalid)
				}
			}
		case "reference", "label":
		default:
			return nil, fmt.Errorf("invalid filter '%s': %w", k, image.ErrInvalid)
		}
	}
	return func(img *image.Image) ([]string, bool) {
		tags := img.FamiliarTags()
		for _, v := range f["dangling"] {
			if (v == "true" || v == "1") != img.Dangling() {
				return nil, false
			}
		}
		if !matchLabels(img.Config.Config.Labels, f["label"]) {
			return nil, false
		}
		if pats := f["reference"]; len(pats) > 0 {
			tags = matchingTags(img.RepoTags, pats)
			if len(tags) == 0 {
				return nil, false
			}
		}
		return tags, true
	}, nil
}

func matchLabels(labels map[string]string, want []string) bool {
	for _, w := range want {
		k, v, hasValue := strings.Cut(w, "=")
		got, ok := labels[k]
		if !ok || (hasValue && got != v) {
			return false
		}
	}
	return true
}

func matchingTags(full []string, patterns []string) []string {
	var out []string
	for _, n := range full {
		r, err := reference.ParseName(n)
		if err != nil {
			continue
		}
		for _, p := range patterns {
			if reference.Match(p, r) {
				out = append(out, reference.Familiar(n))
				break
			}
		}
	}
	return out
}

// ImageInspect is `image inspect`'s record, shaped as docker's API
// (GET /images/{name}/json). Config is the image config's "config" object
// as stored, so fields ocispec does not model (Healthcheck, OnBuild) show.
type ImageInspect struct {
	ID            string `json:"Id"`
	RepoTags      []string
	RepoDigests   []string
	Parent        string
	Comment       string
	Created       string `json:",omitempty"`
	DockerVersion string
	Author        string
	Config        json.RawMessage
	Architecture  string
	Variant       string `json:",omitempty"`
	Os            string
	Size          int64
	GraphDriver   GraphDriver
	RootFS        RootFS
	Metadata      struct{ LastTagTime string }
	Descriptor    ocispec.Descriptor
}

// GraphDriver names the snapshot driver, as docker's inspect does.
type GraphDriver struct {
	Data map[string]string
	Name string
}

// RootFS lists the image's diff IDs.
type RootFS struct {
	Type   string
	Layers []string
}

// dockerConfigExtras are the top-level config fields docker writes that
// ocispec.Image lacks.
type dockerConfigExtras struct {
	Comment       string          `json:"comment"`
	DockerVersion string          `json:"docker_version"`
	Config        json.RawMessage `json:"config"`
}

// InspectImage returns the inspect record of the image ref names.
func (e *Engine) InspectImage(ctx context.Context, ref string) (*ImageInspect, error) {
	img, err := e.images.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	var extra dockerConfigExtras
	_ = json.Unmarshal(img.ConfigJSON, &extra) // the store already parsed it; extras are optional
	if len(extra.Config) == 0 || string(extra.Config) == "null" {
		extra.Config = json.RawMessage("{}")
	}
	out := &ImageInspect{
		ID: img.ID.String(), RepoTags: img.FamiliarTags(), RepoDigests: img.FamiliarDigests(),
		Comment: extra.Comment, DockerVersion: extra.DockerVersion, Author: img.Config.Author,
		Config: extra.Config, Architecture: img.Config.Architecture, Variant: img.Config.Variant,
		Os: img.Config.OS, Size: img.Size,
		GraphDriver: GraphDriver{Name: e.images.Snapshots().Driver(), Data: map[string]string{}},
		RootFS:      RootFS{Type: "layers", Layers: []string{}},
		Descriptor:  ocispec.Descriptor{MediaType: img.Manifest.MediaType, Digest: img.ManifestDigest},
	}
	if out.Descriptor.MediaType == "" {
		out.Descriptor.MediaType = ocispec.MediaTypeImageManifest
	}
	if raw, err := e.images.Content().Info(img.ManifestDigest); err == nil {
		out.Descriptor.Size = raw.Size
	}
	if !img.Created.IsZero() {
		out.Created = img.Created.UTC().Format(time.RFC3339Nano)
	}
	if !img.Added.IsZero() {
		out.Metadata.LastTagTime = img.Added.UTC().Format(time.RFC3339Nano)
	}
	if out.RepoTags == nil {
		out.RepoTags = []string{}
	}
	if out.RepoDigests == nil {
		out.RepoDigests = []string{}
	}
	for _, d := range img.Config.RootFS.DiffIDs {
		out.RootFS.Layers = append(out.RootFS.Layers, d.String())
	}
	return out, nil
}

// HistoryItem is one line of `image history`, as docker's API returns it.
type HistoryItem struct {
	ID        string `json:"Id"`
	Created   int64
	CreatedBy string
	Tags      []string
	Size      int64
	Comment   string
}

// ImageHistory returns the image's history, newest first. Only the newest
// entry carries the image ID; older ones are "<missing>", as docker shows
// for images it did not build itself. Sizes are the layers' stored sizes.
func (e *Engine) ImageHistory(ctx context.Context, ref string) ([]HistoryItem, error) {
	img, err := e.images.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	var items []HistoryItem
	layer := 0
	for _, h := range img.Config.History {
		it := HistoryItem{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, Tags: nil}
		if h.Created != nil {
			it.Created = h.Created.Unix()
		}
		if !h.EmptyLayer && layer < len(img.Manifest.Layers) {
			it.Size = img.Manifest.Layers[layer].Size
			layer++
		}
		items = append(items, it)
	}
	if len(items) == 0 { // no history recorded: one line per layer
		for _, l := range img.Manifest.Layers {
			items = append(items, HistoryItem{ID: "<missing>", Created: img.Created.Unix(), Size: l.Size})
		}
	}
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	if len(items) > 0 {
		items[0].ID = img.ID.String()
		items[0].Tags = img.FamiliarTags()
	}
	return items, nil
}

// TagImage points newName at the image ref names.
func (e *Engine) TagImage(ctx context.Context, ref, newName string) error {
	return e.images.Tag(ctx, ref, newName)
}

// RemoveImage is rmi: it untags and deletes as docker does and returns
// docker's Untagged/Deleted lines.
func (e *Engine) RemoveImage(ctx context.Context, ref string, force, noPrune bool) ([]image.DeleteResponse, error) {
	return e.images.Remove(ctx, ref, image.RemoveOptions{Force: force, NoPrune: noPrune})
}
