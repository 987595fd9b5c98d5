package archive

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/onggi/onggi/image/content"
	"github.com/onggi/onggi/image/layer"
	"github.com/onggi/onggi/image/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Loaded is one image found in an archive, with all its blobs stored.
type Loaded struct {
	// Manifest is what to record the image under (image.Store.Put): the
	// image manifest, or a multi-platform index listing the selected
	// platform's manifest directly, from which the store selects the same
	// platform and keeps the index (nested indexes give the manifest).
	Manifest ocispec.Descriptor
	// Config is the image config the manifest names; its digest is the image ID.
	Config ocispec.Descriptor
	// Names are the names the archive gives the image, as written there
	// ("busybox:latest", "docker.io/library/busybox:latest"); the caller
	// normalises them. Empty for an untagged image.
	Names []string
}

// LoadOptions tune Load.
type LoadOptions struct {
	// Platform selects the manifest of a multi-platform index; the zero
	// value means the host's (linux/amd64 here).
	Platform ocispec.Platform
}

// metadataFiles are the small files a loader keeps in memory instead of the
// store.
var metadataFiles = map[string]bool{"manifest.json": true, "repositories": true, "index.json": true, ocispec.ImageLayoutFile: true}

// archiveContents is what one pass over the tar learned.
type archiveContents struct {
	meta  map[string][]byte       // metadataFiles by name
	files map[string]ingestedBlob // every other regular file, by cleaned path
	links map[string]string       // symlink/hardlink path -> target path (cleaned)
}

type ingestedBlob struct {
	desc        ocispec.Descriptor
	compression layer.Compression
}

// Load reads a docker-archive or OCI-layout archive (optionally gzip or zstd
// compressed as a whole) from r in one pass, storing each blob as it goes,
// then resolves the images it describes. index.json wins when both it and
// manifest.json are present, so manifests keep their digests; manifest.json
// adds images the index lacks, and names where the index gave none.
func Load(ctx context.Context, r io.Reader, dst *content.Store, opts LoadOptions) ([]Loaded, error) {
	if opts.Platform.OS == "" {
		opts.Platform = manifest.DefaultPlatform()
	}
	plain, _, err := layer.Decompress(r)
	if err != nil {
		return nil, fmt.Errorf("reading archive: %w", err)
	}
	defer plain.Close()
	contents, err := scanArchive(ctx, plain, dst)
	if err != nil {
		return nil, err
	}
	var images []Loaded
	if raw, ok := contents.meta["index.json"]; ok {
		if images, err = loadIndex(ctx, raw, dst, opts.Platform); err != nil {
			return nil, err
		}
	}
	if raw, ok := contents.meta["manifest.json"]; ok {
		known := map[digest.Digest]bool{}
		for _, img := range images {
			known[img.Config.Digest] = true
		}
		docker, err := loadDockerManifest(ctx, raw, contents, dst, known)
		if err != nil {
			return nil, err
		}
		images = mergeLoaded(images, docker)
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("archive holds neither manifest.json nor index.json with images: %w", ErrInvalid)
	}
	return images, nil
}

func scanArchive(ctx context.Context, r io.Reader, dst *content.Store) (*archiveContents, error) {
	c := &archiveContents{
		meta: map[string][]byte{}, files: map[string]ingestedBlob{},
		links: map[string]string{},
	}
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) && n == 0 {
			return nil, fmt.Errorf("archive is empty: %w", ErrInvalid)
		}
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading archive: %w: %v", ErrInvalid, err)
		}
		if err := c.add(ctx, hdr, tr, dst); err != nil {
			return nil, err
		}
	}
}

func cleanName(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

func (c *archiveContents) add(ctx context.Context, hdr *tar.Header, tr io.Reader, dst *content.Store) error {
	name := cleanName(hdr.Name)
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		target := hdr.Linkname
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(name), target)
		}
		c.links[name] = cleanName(target)
		return nil
	case tar.TypeLink:
		c.links[name] = cleanName(hdr.Linkname)
		return nil
	case tar.TypeReg, tar.TypeRegA:
	default:
		return nil // directories and anything else carry no content
	}
	if metadataFiles[name] {
		raw, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return fmt.Errorf("reading %s from archive: %w", name, err)
		}
		c.meta[name] = raw
		return nil
	}
	if strings.HasSuffix(name, "/json") || strings.HasSuffix(name, "/VERSION") {
		return nil // legacy v1 layer metadata; nothing reads it
	}
	var expected digest.Digest
	if dir, hex := path.Split(name); strings.HasPrefix(dir, "blobs/") {
		expected = digest.NewDigestFromEncoded(digest.Algorithm(strings.Trim(strings.TrimPrefix(dir, "blobs/"), "/")), hex)
		if expected.Validate() != nil {
			return fmt.Errorf("archive entry %s is not a valid blob name: %w", name, ErrInvalid)
		}
	}
	peek := newPeekReader(tr)
	comp := layer.DetectCompression(peek.head())
	desc := ocispec.Descriptor{Digest: expected, Size: hdr.Size}
	var err error
	if expected != "" {
		err = dst.Write(ctx, desc, peek)
	} else {
		desc, err = dst.Ingest(ctx, "", peek)
	}
	if err != nil {
		return fmt.Errorf("storing %s from archive: %w", name, err)
	}
	c.files[name] = ingestedBlob{desc: desc, compression: comp}
	return nil
}

// resolve follows links (docker's legacy format links repeated layers to
// their first copy) to a stored file.
func (c *archiveContents) resolve(name string) (ingestedBlob, error) {
	name = cleanName(name)
	for i := 0; i < 16; i++ {
		if b, ok := c.files[name]; ok {
			return b, nil
		}
		target, ok := c.links[name]
		if !ok {
			break
		}
		name = target
	}
	return ingestedBlob{}, fmt.Errorf("archive entry %s referenced by manifest.json is missing: %w", name, ErrInvalid)
}

// mergeLoaded adds the docker-manifest images to the index images: an image
// already found by config digest takes manifest.json's names only when the
// index gave it none (both usually hold the same names, full in one and
// familiar in the other).
func mergeLoaded(index, docker []Loaded) []Loaded {
	for _, d := range docker {
		found := false
		for i := range index {
			if index[i].Config.Digest == d.Config.Digest {
				if len(index[i].Names) == 0 {
					index[i].Names = appendNew(index[i].Names, d.Names...)
				}
				found = true
			}
		}
		if !found {
			index = append(index, d)
		}
	}
	return index
}

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		dup := false
		for _, l := range list {
			dup = dup || l == a
		}
		if !dup {
			list = append(list, a)
		}
	}
	return list
}

func decodeJSON(raw []byte, what string, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("parsing %s: %w: %v", what, ErrInvalid, err)
	}
	return nil
}
