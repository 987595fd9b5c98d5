package archive

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Format names an archive layout.
type Format string

const (
	// FormatDocker is docker save's layout: manifest.json and repositories
	// next to an OCI image layout, as docker 25+ writes it. Older docker
	// versions, skopeo's docker-archive transport and `docker load` read it.
	FormatDocker Format = "docker"
	// FormatOCI is an OCI image-layout archive (what skopeo calls
	// oci-archive).
	FormatOCI Format = "oci"
)

// ErrInvalid marks an archive, manifest or argument that is malformed (it is
// image's ErrInvalid, so errors.Is works with either).
var ErrInvalid = errdefs.ErrInvalid

// AnnotationImageName is the annotation containerd and docker 25+ put on
// index.json entries to carry the full image name; ocispec's ref.name holds
// only a tag there, so a loader must look at both.
const AnnotationImageName = "io.containerd.image.name"

// Image is one image to save: its manifest (an image manifest, OCI or Docker
// schema 2, not an index) and the names to record for it, fully qualified
// ("docker.io/library/busybox:latest"). Names may be empty: the image is then
// saved untagged, as `docker save IMAGE-ID` does.
type Image struct {
	Manifest ocispec.Descriptor
	Names    []string
	// Familiar are the short forms ("busybox:latest") docker writes in
	// manifest.json's RepoTags, one per entry of Names.
	Familiar []string
}

// epoch is the mtime of every archive entry: saves of the same images are
// byte-identical.
var epoch = time.Unix(0, 0).UTC()

// Save writes images to w in the given format, each blob once.
func Save(ctx context.Context, w io.Writer, src *content.Store, format Format, images []Image) error {
	if format != FormatDocker && format != FormatOCI {
		return fmt.Errorf("archive format %q (want docker or oci): %w", format, ErrInvalid)
	}
	if len(images) == 0 {
		return fmt.Errorf("no images to save: %w", ErrInvalid)
	}
	parsed := make([]*parsedImage, 0, len(images))
	for _, img := range images {
		p, err := readImage(ctx, src, img)
		if err != nil {
			return err
		}
		parsed = append(parsed, p)
	}
	tw := tar.NewWriter(w)
	if err := writeBlobs(ctx, tw, src, parsed); err != nil {
		return err
	}
	if err := writeLayoutFiles(tw, parsed); err != nil {
		return err
	}
	if format == FormatDocker {
		if err := writeDockerFiles(tw, parsed); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("finishing archive: %w", err)
	}
	return nil
}

// parsedImage is an Image with its manifest read.
type parsedImage struct {
	Image
	raw      []byte
	manifest ocispec.Manifest
}

func readImage(ctx context.Context, src *content.Store, img Image) (*parsedImage, error) {
	raw, err := readBlob(ctx, src, img.Manifest)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w: %v", img.Manifest.Digest, ErrInvalid, err)
	}
	if m.Config.Digest == "" {
		return nil, fmt.Errorf("manifest %s is not an image manifest: %w", img.Manifest.Digest, ErrInvalid)
	}
	if img.Manifest.MediaType == "" {
		img.Manifest.MediaType = manifestMediaType(m.MediaType)
	}
	return &parsedImage{Image: img, raw: raw, manifest: m}, nil
}

// readBlob reads a small blob (manifest, config) whole and checks its digest.
func readBlob(ctx context.Context, src *content.Store, desc ocispec.Descriptor) ([]byte, error) {
	// Manifests and configs are kilobytes; the store refuses absurd ones.
	raw, err := src.ReadAll(desc.Digest, 16<<20)
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", desc.Digest, err)
	}
	return raw, nil
}

func manifestMediaType(mt string) string {
	if mt == "" {
		return ocispec.MediaTypeImageManifest
	}
	return mt
}

func blobPath(d digest.Digest) string {
	return path.Join("blobs", d.Algorithm().String(), d.Encoded())
}

func writeBlobs(ctx context.Context, tw *tar.Writer, src *content.Store, images []*parsedImage) error {
	dirs := map[string]bool{}
	seen := map[digest.Digest]bool{}
	for _, img := range images {
		// Layers first, then the config and the manifest: a streaming reader
		// meets the big blobs before the small ones that refer to them.
		descs := append(append([]ocispec.Descriptor{}, img.manifest.Layers...), img.manifest.Config)
		for _, d := range descs {
			if seen[d.Digest] {
				continue
			}
			seen[d.Digest] = true
			if err := writeDirs(tw, dirs, blobPath(d.Digest)); err != nil {
				return err
			}
			if err := copyBlob(ctx, tw, src, d); err != nil {
				return err
			}
		}
		if seen[img.Manifest.Digest] {
			continue
		}
		seen[img.Manifest.Digest] = true
		if err := writeFile(tw, blobPath(img.Manifest.Digest), img.raw); err != nil {
			return err
		}
	}
	return nil
}

func writeDirs(tw *tar.Writer, done map[string]bool, file string) error {
	var dirs []string
	for d := path.Dir(file); d != "." && !done[d]; d = path.Dir(d) {
		dirs = append([]string{d}, dirs...)
	}
	for _, d := range dirs {
		done[d] = true
		h := &tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("writing archive directory %s: %w", d, err)
		}
	}
	return nil
}

func copyBlob(ctx context.Context, tw *tar.Writer, src *content.Store, d ocispec.Descriptor) error {
	if d.Size < 0 {
		return fmt.Errorf("blob %s has negative size: %w", d.Digest, ErrInvalid)
	}
	rc, err := src.Open(d.Digest)
	if err != nil {
		return fmt.Errorf("reading blob %s: %w", d.Digest, err)
	}
	defer rc.Close()
	h := &tar.Header{Name: blobPath(d.Digest), Typeflag: tar.TypeReg, Mode: 0o644, Size: d.Size, ModTime: epoch}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("writing blob %s: %w", d.Digest, err)
	}
	n, err := io.Copy(tw, io.LimitReader(rc, d.Size))
	if err != nil {
		return fmt.Errorf("copying blob %s: %w", d.Digest, err)
	}
	if n != d.Size {
		return fmt.Errorf("blob %s: stored %d bytes, manifest says %d: %w", d.Digest, n, d.Size, ErrInvalid)
	}
	return nil
}

func writeFile(tw *tar.Writer, name string, data []byte) error {
	h := &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data)), ModTime: epoch}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

func writeJSON(tw *tar.Writer, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	return writeFile(tw, name, data)
}

// writeLayoutFiles writes oci-layout and index.json. Each name gets its own
// index entry, as the OCI layout expects one ref.name per descriptor. The full
// name goes in both annotations: the OCI grammar allows it, skopeo's
// oci-archive:FILE:NAME finds it, and docker/containerd read io.containerd.image.name.
func writeLayoutFiles(tw *tar.Writer, images []*parsedImage) error {
	layout := ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}
	if err := writeJSON(tw, ocispec.ImageLayoutFile, layout); err != nil {
		return err
	}
	index := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	index.SchemaVersion = 2
	for _, img := range images {
		desc := ocispec.Descriptor{MediaType: img.Manifest.MediaType, Digest: img.Manifest.Digest, Size: img.Manifest.Size}
		if len(img.Names) == 0 {
			index.Manifests = append(index.Manifests, desc)
			continue
		}
		for _, name := range img.Names {
			d := desc
			d.Annotations = map[string]string{AnnotationImageName: name, ocispec.AnnotationRefName: name}
			index.Manifests = append(index.Manifests, d)
		}
	}
	return writeJSON(tw, "index.json", index)
}

// dockerManifestEntry is one element of docker save's manifest.json.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func writeDockerFiles(tw *tar.Writer, images []*parsedImage) error {
	entries := make([]dockerManifestEntry, 0, len(images))
	repos := map[string]map[string]string{}
	for _, img := range images {
		e := dockerManifestEntry{Config: blobPath(img.manifest.Config.Digest), RepoTags: []string{}}
		for _, l := range img.manifest.Layers {
			e.Layers = append(e.Layers, blobPath(l.Digest))
		}
		for i, name := range img.Names {
			short := name
			if i < len(img.Familiar) && img.Familiar[i] != "" {
				short = img.Familiar[i]
			}
			if strings.Contains(short, "@") {
				continue // RepoTags holds tags only, as docker's does
			}
			e.RepoTags = append(e.RepoTags, short)
			if n := len(img.manifest.Layers); n > 0 {
				repo, tag := splitTag(short)
				if repos[repo] == nil {
					repos[repo] = map[string]string{}
				}
				repos[repo][tag] = img.manifest.Layers[n-1].Digest.Encoded()
			}
		}
		entries = append(entries, e)
	}
	if err := writeJSON(tw, "manifest.json", entries); err != nil {
		return err
	}
	return writeJSON(tw, "repositories", repos)
}

// splitTag splits "repo:tag" at the last colon that is not part of a
// registry host:port.
func splitTag(ref string) (repo, tag string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i+1:], "/") {
		return ref, "latest"
	}
	return ref[:i], ref[i+1:]
}
