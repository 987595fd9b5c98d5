package builder

import (
	"context"
	"io"
	"strconv"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fsStep is a step that changes the filesystem: resolved from the cache,
// or fn runs on a writable, mounted snapshot of the current state and
// the snapshot's diff becomes the step's layer (none if it changed
// nothing: an empty_layer entry, as BuildKit's exporter writes).
func (r *stageRun) fsStep(ctx context.Context, v *vertex, key digest.Digest, createdBy string, fn func(rootfs, bundle string) (keepEntry, error)) error {
	return r.fsStepConfig(ctx, v, key, createdBy, nil, fn)
}

// fsStepConfig is fsStep for a step that also changes the config (WORKDIR).
func (r *stageRun) fsStepConfig(ctx context.Context, v *vertex, key digest.Digest, createdBy string, cfg func(*state), fn func(rootfs, bundle string) (keepEntry, error)) error {
	return r.cached(key, v, func() (*state, error) {
		desc, diffID, err := r.bd.mutate(ctx, r.st, strconv.Itoa(v.n), fn)
		if err != nil {
			return nil, err
		}
		n := r.st.clone()
		if cfg != nil {
			cfg(n)
		}
		n.commit(createdBy, desc, diffID)
		return n, nil
	})
}

// emptyTarSize is the size of a tar with no entries (two zero blocks).
const emptyTarSize = 1024

// countWriter counts what passes through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// layerOf returns desc unless the layer tar of n bytes was empty.
func layerOf(desc ocispec.Descriptor, diffID digest.Digest, n int64) (*ocispec.Descriptor, digest.Digest) {
	if n <= emptyTarSize {
		return nil, ""
	}
	return &desc, diffID
}
