package builder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/onggi/onggi/image/content"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// cache is the build cache index: one JSON file per key under dir, each
// holding the whole state the step produced (config and layer list), so
// a hit needs one small read and no other lookup. Files are written to a
// temp name and renamed, so a killed build leaves whole records or none.
//
// Layers are blobs of the image store; a record whose blobs are gone (an
// image GC collected them) is a miss. Stage results are kept alive in the
// store as untagged images listed under dir/images (see holdStage).
type cache struct {
	dir string
}

// cacheRecord is a cache file.
type cacheRecord struct {
	Config json.RawMessage      `json:"config"`
	Layers []ocispec.Descriptor `json:"layers"`
	Docker bool                 `json:"docker,omitempty"`
}

func openCache(dir string) *cache { return &cache{dir: dir} }

func (c *cache) path(key digest.Digest) string {
	return filepath.Join(c.dir, key.Encoded()+".json")
}

// get returns the state cached under key, if its layers are all stored.
func (c *cache) get(key digest.Digest, cs *content.Store) (*state, bool) {
	raw, err := os.ReadFile(c.path(key))
	if err != nil {
		return nil, false
	}
	var rec cacheRecord
	if json.Unmarshal(raw, &rec) != nil {
		return nil, false
	}
	for _, l := range rec.Layers {
		if !cs.Has(l.Digest) {
			return nil, false
		}
	}
	img, err := parseImageConfig(rec.Config)
	if err != nil || len(img.RootFS.DiffIDs) != len(rec.Layers) {
		return nil, false
	}
	return &state{img: img, layers: rec.Layers, key: key, docker: rec.Docker}, true
}

// put records st under its key.
func (c *cache) put(st *state) error {
	cfg, err := json.Marshal(st.img)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(cacheRecord{Config: cfg, Layers: st.layers, Docker: st.docker})
	if err != nil {
		return err
	}
	return writeFileAtomic(c.path(st.key), raw)
}

// holdImage records that image id keeps cache blobs alive.
func (c *cache) holdImage(id digest.Digest) error {
	return writeFileAtomic(filepath.Join(c.dir, "images", id.Encoded()), nil)
}

// heldImages lists the images recorded by holdImage.
func (c *cache) heldImages() ([]digest.Digest, error) {
	ents, err := os.ReadDir(filepath.Join(c.dir, "images"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []digest.Digest
	for _, e := range ents {
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if d.Validate() == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// Holds reports whether image id is one the build cache keeps (a stage
// result); the engine's image-in-use hook consults it so `image prune`
// leaves the cache to `builder prune`.
func (c *cache) holds(id digest.Digest) bool {
	_, err := os.Stat(filepath.Join(c.dir, "images", id.Encoded()))
	return err == nil
}

// writeFileAtomic writes path through a temp file and a rename (no fsync:
// the cache is an optimisation; a record lost in a power cut is a miss).
func writeFileAtomic(path string, data []byte) (retErr error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			os.Remove(f.Name())
		}
	}()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}
