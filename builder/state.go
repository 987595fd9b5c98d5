package builder

import (
	"encoding/json"
	"slices"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// historyComment marks history entries as BuildKit's Dockerfile frontend
// does, so tools that read history see the same shape.
const historyComment = "buildkit.dockerfile.v0"

// state is a build state: an image config and its layers, and the cache
// key naming it. States are values: a step makes a new one.
type state struct {
	img    dockerspec.DockerOCIImage
	layers []ocispec.Descriptor
	key    digest.Digest
	// docker writes a Docker schema 2 manifest (the base image had one).
	docker bool
	// imageID is the stored image this state was read from or saved as,
	// if any (a FROM image, a stage result).
	imageID digest.Digest
}

// clone is a deep enough copy for a step to modify.
func (s *state) clone() *state {
	n := *s
	n.layers = slices.Clone(s.layers)
	n.imageID = ""
	c := &n.img.Config
	c.Env, c.Cmd, c.Entrypoint = slices.Clone(c.Env), slices.Clone(c.Cmd), slices.Clone(c.Entrypoint)
	c.Shell, c.OnBuild = slices.Clone(c.Shell), slices.Clone(c.OnBuild)
	c.Labels = cloneMap(c.Labels)
	c.ExposedPorts = cloneMap(c.ExposedPorts)
	c.Volumes = cloneMap(c.Volumes)
	n.img.RootFS.DiffIDs = slices.Clone(s.img.RootFS.DiffIDs)
	n.img.History = slices.Clone(s.img.History)
	return &n
}

func cloneMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// diffIDs are the state's layer diff IDs, bottom first.
func (s *state) diffIDs() []digest.Digest { return s.img.RootFS.DiffIDs }

// commit records a step in the history: with a layer (desc, diffID) or
// as an empty layer (desc nil).
func (s *state) commit(createdBy string, desc *ocispec.Descriptor, diffID digest.Digest) {
	now := time.Now().UTC()
	s.img.Created = &now
	h := ocispec.History{Created: &now, CreatedBy: createdBy, Comment: historyComment, EmptyLayer: desc == nil}
	s.img.History = append(s.img.History, h)
	if desc != nil {
		s.layers = append(s.layers, *desc)
		s.img.RootFS.DiffIDs = append(s.img.RootFS.DiffIDs, diffID)
	}
}

// scratchState is FROM scratch.
func scratchState(p ocispec.Platform) *state {
	s := &state{key: digest.FromString("scratch " + p.OS + "/" + p.Architecture + "/" + p.Variant)}
	s.img.Platform = p
	s.img.RootFS.Type = "layers"
	s.img.Config.Env = []string{"PATH=" + defaultPath}
	return s
}

// defaultPath is the PATH BuildKit gives a scratch stage.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// parseImageConfig reads an image's config with Docker's extra fields
// (Healthcheck, OnBuild, Shell) that ocispec.Image drops.
func parseImageConfig(raw []byte) (dockerspec.DockerOCIImage, error) {
	var img dockerspec.DockerOCIImage
	err := json.Unmarshal(raw, &img)
	return img, err
}

// dockerspecImage is the config type steps modify.
type dockerspecImage = dockerspec.DockerOCIImage
